using System.Diagnostics;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>
/// A real Prometheus (Debian's package) on loopback, with a temporary config and storage, scrapes
/// sockpeer serve; its query API then answers what the scenario's sockets are.
/// </summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public void PrometheusSeesPendingClientsAndConnectionsPerClientProgram()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        string dir = scenario.Dir;
        using var serve = ServeProcess.Start(["--path", dir + "/*", "--min-interval", "500ms"]);
        using var prometheus = PrometheusServer.Start($"127.0.0.1:{serve.Port}");

        string pending = scenario.Socket("pending").Path!;
        string served = scenario.Socket("served").Path!;
        Assert.Equal(3, prometheus.WaitForValue($"sockpeer_unix_listener_pending{{path=\"{pending}\",process=\"sp-server\",type=\"stream\"}}", 3));
        Assert.Equal(1, prometheus.WaitForValue($"sockpeer_unix_connections{{path=\"{served}\",server=\"sp-server\",client=\"sp-client-a\"}}", 1));
        Assert.Equal(1, prometheus.WaitForValue($"sockpeer_unix_connections{{path=\"{served}\",server=\"sp-server\",client=\"sp-client-b\"}}", 1));
        Assert.Equal(2, prometheus.WaitForValue($"sockpeer_unix_listener_connections{{path=\"{served}\"}}", 2));
        Assert.Equal(16, prometheus.WaitForValue($"sockpeer_unix_listener_backlog{{path=\"{pending}\"}}", 16));
        // The scrape itself was healthy: no samples rejected.
        Assert.Equal(1, prometheus.WaitForValue("up{job=\"sockpeer\"}", 1));
    }
}

/// <summary>Debian's prometheus on a free loopback port, scraping one target every second; stopped on dispose.</summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly HttpClient _http;
    private readonly System.Text.StringBuilder _log = new();

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public static PrometheusServer Start(string target)
    {
        string dir = Directory.CreateTempSubdirectory("sockpeer-prometheus-").FullName;
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: sockpeer
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ['{target}']
            """);
        int port = ServeProcess.FreePort();
        var info = new ProcessStartInfo("prometheus")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { $"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start prometheus (apt-get install prometheus)");
        var server = new PrometheusServer(process, dir, port);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (server._log)
            {
                server._log.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return server;
    }

    /// <summary>Polls an instant query until its single result is <paramref name="expected"/>; returns the last value seen.</summary>
    public double? WaitForValue(string query, double expected)
    {
        double? last = null;
        string lastBody = "";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            try
            {
                lastBody = _http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query)).GetAwaiter().GetResult();
                using var doc = JsonDocument.Parse(lastBody);
                var result = doc.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() == 1)
                {
                    last = double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    if (last == expected)
                    {
                        return last;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // not up yet
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited: {Log}");
            }
            Thread.Sleep(200);
        }
        Assert.Fail($"{query}: last value {last?.ToString() ?? "none"}; last answer {lastBody}; prometheus log: {Log}");
        return last;
    }

    private string Log
    {
        get
        {
            lock (_log)
            {
                string text = _log.ToString();
                return text.Length > 4000 ? text[^4000..] : text;
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
