using System.Net;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>The HTTP surface of a running sockpeer serve: exposition, JSON API, and bad requests.</summary>
public sealed class ServeHttpTests
{
    [Fact]
    public async Task MetricsPassPromtoolAndShowTheScenario()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var serve = ServeProcess.Start(["--path", scenario.Dir + "/*"]);
        using var http = serve.Client();
        using var response = (await http.GetAsync("metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        string text = (await response.Content.ReadAsStringAsync());

        var check = RunWithStdin("promtool", ["check", "metrics"], text);
        Assert.True(check.ExitCode == 0, $"promtool check metrics: {check.Stdout}{check.Stderr}\n{text}");

        var samples = ServeScenarios.Parse(text);
        Assert.Equal(3, ServeScenarios.Value(samples, "sockpeer_unix_listener_pending", ("path", scenario.Socket("pending").Path!)));
        Assert.Equal(1, ServeScenarios.Value(samples, "sockpeer_unix_connections", ("path", scenario.Socket("served").Path!), ("client", "sp-client-a")));
        Assert.Equal(1, ServeScenarios.Value(samples, "sockpeer_unix_connections", ("path", scenario.Socket("served").Path!), ("client", "sp-client-b")));
        Assert.Equal(1, ServeScenarios.Value(samples, "sockpeer_build_info"));
        Assert.DoesNotContain(samples, s => s.Labels.ContainsKey("pid") || s.Labels.ContainsKey("inode"));
        Assert.Equal(0, ServeScenarios.Value(samples, "sockpeer_series_folded"));

        // OpenMetrics when asked, as Prometheus asks.
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        using var om = (await http.SendAsync(request));
        Assert.StartsWith("application/openmetrics-text", om.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        string omText = (await om.Content.ReadAsStringAsync());
        Assert.EndsWith("# EOF\n", omText, StringComparison.Ordinal);
        Assert.Contains("sockpeer_snapshots_total ", omText, StringComparison.Ordinal);
        Assert.Contains("# TYPE sockpeer_snapshots counter", omText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenersPastTheCapFoldIntoOther()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var serve = ServeProcess.Start(["--path", scenario.Dir + "/*", "--max-listeners", "1"]);
        using var http = serve.Client();
        var samples = ServeScenarios.Parse((await http.GetStringAsync("metrics")));
        // pending.sock sorts first and keeps its path; served.sock folds.
        Assert.Equal(3, ServeScenarios.Value(samples, "sockpeer_unix_listener_pending", ("path", scenario.Socket("pending").Path!)));
        Assert.Equal(0, ServeScenarios.Value(samples, "sockpeer_unix_listener_pending", ("path", "(other)")));
        Assert.Equal(2, ServeScenarios.Value(samples, "sockpeer_unix_connections", ("path", "(other)"), ("client", "sp-client-a")) + ServeScenarios.Value(samples, "sockpeer_unix_connections", ("path", "(other)"), ("client", "sp-client-b")));
        Assert.Null(ServeScenarios.Value(samples, "sockpeer_unix_listener_pending", ("path", scenario.Socket("served").Path!)));
        Assert.Equal(1, ServeScenarios.Value(samples, "sockpeer_series_folded"));
    }

    [Fact]
    public async Task ApiSnapshotIsListsDocumentWithFiltersAndNoCommandLines()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var serve = ServeProcess.Start([]);
        using var http = serve.Client();
        string json = (await http.GetStringAsync("api/snapshot?state=listening&path=" + Uri.EscapeDataString(scenario.Dir + "/*")));
        SchemaAssert.Valid(json, "list");
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([scenario.Socket("pending").Path!, scenario.Socket("served").Path!], names);
        var processes = doc.RootElement.GetProperty("processes").EnumerateArray().ToList();
        Assert.Contains(processes, p => p.GetProperty("command").GetString() == "sp-server");
        Assert.All(processes, p => Assert.Equal(0, p.GetProperty("cmdline").GetArrayLength()));

        // A path is a glob over socket names: a traversal attempt just matches nothing.
        string none = (await http.GetStringAsync("api/snapshot?path=../../etc/shadow"));
        SchemaAssert.Valid(none, "list");
        using var noneDoc = JsonDocument.Parse(none);
        Assert.Equal(0, noneDoc.RootElement.GetProperty("sockets").GetArrayLength());
    }

    [Fact]
    public async Task ExposeCmdlineIncludesCommandLines()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var serve = ServeProcess.Start(["--expose-cmdline"]);
        using var http = serve.Client();
        string json = (await http.GetStringAsync($"api/snapshot?pid={scenario.Pid}"));
        SchemaAssert.Valid(json, "list");
        using var doc = JsonDocument.Parse(json);
        var server = doc.RootElement.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == scenario.Pid);
        Assert.Contains(server.GetProperty("cmdline").EnumerateArray(), a => a.GetString()!.EndsWith("scenario.py", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadRequestsGetA4xxAndTheServerKeepsServing()
    {
        using var serve = ServeProcess.Start([]);
        using var http = serve.Client();
        serve.WaitHealthy(http);

        async Task Expect(HttpStatusCode code, HttpRequestMessage request)
        {
            using (request)
            using (var response = (await http.SendAsync(request)))
            {
                Assert.True(code == response.StatusCode, $"{request.Method} {request.RequestUri}: {response.StatusCode}, expected {code}");
            }
            using var health = (await http.GetAsync("healthz"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        await Expect(HttpStatusCode.MethodNotAllowed, new HttpRequestMessage(HttpMethod.Post, "metrics") { Content = new StringContent("x") });
        await Expect(HttpStatusCode.MethodNotAllowed, new HttpRequestMessage(HttpMethod.Delete, "api/snapshot"));
        await Expect(HttpStatusCode.MethodNotAllowed, new HttpRequestMessage(HttpMethod.Put, "/"));
        await Expect(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, "etc/passwd"));
        await Expect(HttpStatusCode.NotFound, new HttpRequestMessage(HttpMethod.Get, "metrics/../../../etc/shadow"));
        await Expect(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?type=bogus"));
        await Expect(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?pid=-1"));
        await Expect(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?user=no-such-user-here"));
        await Expect(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?netns=/proc/1/ns/net"));
        await Expect(HttpStatusCode.BadRequest, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?state=listening&state=connected"));
        var huge = new HttpRequestMessage(HttpMethod.Get, "metrics");
        huge.Headers.TryAddWithoutValidation("X-Huge", new string('a', 64 * 1024));
        await Expect(HttpStatusCode.RequestHeaderFieldsTooLarge, huge);
        await Expect(HttpStatusCode.RequestUriTooLong, new HttpRequestMessage(HttpMethod.Get, "api/snapshot?path=" + new string('a', 16 * 1024)));

        // One line of text for a bad filter value.
        using var bad = (await http.GetAsync("api/snapshot?type=bogus"));
        string body = (await bad.Content.ReadAsStringAsync());
        Assert.Equal("type takes stream, dgram or seqpacket, not 'bogus'\n", body);

        // HEAD has the headers and no body.
        using var head = (await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "metrics")));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty((await head.Content.ReadAsByteArrayAsync()));
    }

    internal static CliResult RunWithStdin(string file, string[] args, string stdin)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish");
        }
        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
