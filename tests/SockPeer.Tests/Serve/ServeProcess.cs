using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Serve;

/// <summary>
/// A running published sockpeer-serve (next to $SOCKPEER_BIN), on a free loopback port chosen now.
/// Started either directly or through `sockpeer serve` (which execs it: the same process). Dispose
/// sends SIGTERM and kills it if it has not exited within a few seconds.
/// </summary>
public sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Port { get; }
    public Uri BaseUri { get; }
    public int Pid => _process.Id;

    public static string ServeBinary => Path.Combine(Path.GetDirectoryName(SockpeerCli.Path)!, "sockpeer-serve");

    private ServeProcess(Process process, int port, bool tls)
    {
        _process = process;
        Port = port;
        BaseUri = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{port}/");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _started.TrySetResult("(stderr closed)");
                return;
            }
            lock (_stderr)
            {
                _stderr.Add(e.Data);
            }
            if (e.Data.StartsWith("sockpeer: serving ", StringComparison.Ordinal))
            {
                _started.TrySetResult(e.Data);
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>Every line written to stderr so far.</summary>
    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>
    /// Starts the server with <paramref name="args"/> (plus --listen on a free port) and waits for its
    /// start line; <paramref name="runUnder"/> is a command that runs it (setpriv ... --).
    /// </summary>
    public static ServeProcess Start(IEnumerable<string> args, bool viaSockpeer = false, bool tls = false, string[]? runUnder = null)
    {
        int port = FreePort();
        string binary = viaSockpeer ? SockpeerCli.Path : ServeBinary;
        var info = new ProcessStartInfo(runUnder is { Length: > 0 } ? runUnder[0] : binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (runUnder is { Length: > 0 })
        {
            foreach (var a in runUnder.AsSpan(1))
            {
                info.ArgumentList.Add(a);
            }
            info.ArgumentList.Add(binary);
        }
        if (viaSockpeer)
        {
            info.ArgumentList.Add("serve");
        }
        info.ArgumentList.Add("--listen");
        info.ArgumentList.Add($"127.0.0.1:{port}");
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start sockpeer-serve");
        var serve = new ServeProcess(process, port, tls);
        if (!serve._started.Task.Wait(TimeSpan.FromSeconds(60)) || serve._started.Task.Result == "(stderr closed)")
        {
            string err = string.Join('\n', serve.Stderr);
            serve.Dispose();
            throw new InvalidOperationException($"sockpeer-serve did not start: {err}");
        }
        return serve;
    }

    /// <summary>A loopback TCP port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>An HTTP client for this server with a generous timeout.</summary>
    public HttpClient Client(HttpMessageHandler? handler = null) => new(handler ?? new SocketsHttpHandler(), disposeHandler: true)
    {
        BaseAddress = BaseUri,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Polls /healthz until it answers 200 (the first snapshot succeeded).</summary>
    public void WaitHealthy(HttpClient client)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var response = client.GetAsync("healthz").GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException("/healthz never answered 200");
    }

    /// <summary>Resident set size of the server, from /proc.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>Sends SIGTERM and waits up to <paramref name="timeout"/>; returns the exit code, or null if still running.</summary>
    public int? Terminate(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, 15);
        }
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }
        _process.WaitForExit(); // drain stderr
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (Terminate(TimeSpan.FromSeconds(5)) is null)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
