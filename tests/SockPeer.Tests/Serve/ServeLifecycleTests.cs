using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>Start, stop and start-up failures of sockpeer serve, run as the published binaries.</summary>
public sealed class ServeLifecycleTests
{
    [Fact]
    public void SockpeerServeExecsTheServerWhichStopsOnSigtermWithinASecond()
    {
        using var serve = ServeProcess.Start([], viaSockpeer: true);
        // exec: the process started as sockpeer is now sockpeer-serve, with the same pid.
        Assert.Equal("sockpeer-serve", File.ReadAllText($"/proc/{serve.Pid}/comm").Trim());
        using var http = serve.Client();
        serve.WaitHealthy(http);
        Assert.Single(serve.Stderr, l => l.StartsWith("sockpeer: serving http://127.0.0.1:", StringComparison.Ordinal));

        var clock = Stopwatch.StartNew();
        int? code = serve.Terminate(TimeSpan.FromSeconds(5));
        Assert.Equal(0, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"stopped after {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.DoesNotContain(serve.Stderr, l => l.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANonLoopbackAddressLogsOneWarning()
    {
        // 192.0.2.1 (TEST-NET-1) on the loopback device of a network namespace made here: nothing leaves it.
        int port = ServeProcess.FreePort();
        var info = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "--net", "sh", "-c", "ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec \"$0\" --listen 192.0.2.1:$1 --netns current", ServeProcess.ServeBinary, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        try
        {
            var lines = new List<string>();
            var read = Task.Run(() =>
            {
                while (process.StandardError.ReadLine() is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                        if (line.StartsWith("sockpeer: warning:", StringComparison.Ordinal))
                        {
                            return;
                        }
                    }
                }
            });
            await read.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal($"sockpeer: serving http://192.0.2.1:{port}/metrics (min interval 1s)", lines[0]);
            Assert.Equal($"sockpeer: warning: listening on 192.0.2.1:{port}, not loopback: process names, users and socket paths are visible to the network", lines[1]);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void APortInUseIsOneLineAndExit1()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var result = ChildProcess.Run(ServeProcess.ServeBinary, ["--listen", $"127.0.0.1:{port}"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"sockpeer: cannot listen on 127.0.0.1:{port}: address already in use\n", result.Stderr);
    }

    [Theory]
    [InlineData("--listen", "nowhere", "sockpeer: --listen needs ADDRESS:PORT")]
    [InlineData("--listen", "example.com:80", "sockpeer: --listen needs an IP address or localhost")]
    [InlineData("--min-interval", "soon", "sockpeer: --min-interval needs a duration")]
    [InlineData("--type", "bogus", "sockpeer: --type takes stream, dgram or seqpacket")]
    [InlineData("--max-listeners", "0", "sockpeer: --max-listeners needs a positive number")]
    [InlineData("--otlp-endpoint", "ftp://x", "sockpeer: --otlp-endpoint needs an http:// or https:// URL")]
    [InlineData("--bogus", "x", "sockpeer: Unrecognized command or argument '--bogus'")]
    public void BadCommandLinesAreOneLineAndExit2(string option, string value, string start)
    {
        var result = ChildProcess.Run(ServeProcess.ServeBinary, [option, value], TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(start, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var result = SockpeerCli.Run("serve", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("serve", result.Stdout, StringComparison.Ordinal);
        var own = ChildProcess.Run(ServeProcess.ServeBinary, ["--help"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, own.ExitCode);
        foreach (var option in new[] { "--listen", "--web-config", "--min-interval", "--max-listeners", "--otlp-endpoint", "--otlp-interval", "--expose-cmdline", "--netns", "--path" })
        {
            Assert.Contains(option, own.Stdout, StringComparison.Ordinal);
        }
    }
}
