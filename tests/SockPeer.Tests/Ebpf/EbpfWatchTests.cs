using System.Text.Json;
using SockPeer.Tests.Cli;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Ebpf;

/// <summary>
/// `sockpeer watch --source ebpf` through the published binary: connections far shorter than any
/// poll interval are printed, each with the process that made it, as schema-valid JSON lines.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class EbpfWatchTests
{
    private const string Server = UnixKernelEventSourceTests.Server;

    private static int Pid(CliResult r) => int.Parse(r.Stdout.Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static bool HasProcess(JsonElement e, int pid, string command)
        => e.GetProperty("processes").EnumerateArray().Any(p => p.GetProperty("pid").GetInt32() == pid && p.GetProperty("command").GetString() == command);

    [Fact]
    public void Two_hundred_one_millisecond_connections_are_each_printed_with_their_connect_and_close()
    {
        using var server = Scenario.Start(Server);
        string path = server.Str("path");
        using var watch = new WatchStream("--source", "ebpf", "--json", "--path", server.WorkDir + "/*");
        // The first line comes once the program is attached and the first snapshot taken.
        watch.WaitFor("the listener's watch to start", e => true);
        var client = ChildProcess.Run("python3", ["-c", """
            import os, socket, sys, time
            print(os.getpid(), flush=True)
            for _ in range(200):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sys.argv[1])
                time.sleep(0.001)
                s.close()
            """, path], TimeSpan.FromMinutes(1));
        Assert.True(client.ExitCode == 0, client.Stderr);
        int pid = Pid(client);
        int connects = 0, closes = 0;
        while (closes < 200)
        {
            var e = watch.WaitFor($"connect/close number {closes + 1} of pid {pid}", e => e.Kind() is "connect" or "close" && HasProcess(e, pid, "python3"));
            Assert.Equal("ebpf", e.GetProperty("source").GetString());
            Assert.Contains(e.GetProperty("socket").GetProperty("holders").EnumerateArray(), h => h.GetProperty("pid").GetInt32() == pid);
            Assert.Equal(server.Inode("listener"), e.GetProperty("listener").GetProperty("inode").GetUInt32());
            if (e.Kind() == "connect")
            {
                connects++;
            }
            else
            {
                closes++;
                // From the kernel's own timestamps; the server end may close within the same millisecond.
                Assert.True(e.GetProperty("observedFor").GetDouble() >= 0);
            }
        }
        Assert.Equal(200, connects);
    }

    [Fact]
    public void A_client_that_exits_at_once_is_named_in_the_human_view()
    {
        using var server = Scenario.Start(Server);
        string path = server.Str("path");
        using var watch = new WatchStream("--source", "ebpf", "--path", server.WorkDir + "/*");
        var first = watch.NextLine(TimeSpan.FromSeconds(60));
        Assert.NotNull(first);
        Assert.Contains("from the kernel (eBPF)", first, StringComparison.Ordinal);
        var client = ChildProcess.Run("python3", ["-c", """
            import os, socket, sys
            print(os.getpid(), flush=True)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            os._exit(0)
            """, path], TimeSpan.FromMinutes(1));
        string tag = $"python3[{Pid(client)}]";
        string? connect = null, close = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((connect is null || close is null) && DateTime.UtcNow < deadline && watch.NextLine(deadline - DateTime.UtcNow) is { } line)
        {
            if (line.Contains(tag, StringComparison.Ordinal) && line.Contains(" connect ", StringComparison.Ordinal))
            {
                connect = line;
            }
            if (line.Contains(tag, StringComparison.Ordinal) && line.Contains(" close ", StringComparison.Ordinal))
            {
                close = line;
            }
        }
        Assert.True(connect is not null && close is not null, "printed:\n" + string.Join('\n', watch.Seen));
        Assert.Contains(path, connect, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_capabilities_to_load_it_ebpf_is_one_line_and_exit_1_and_auto_falls_back_to_polling()
    {
        string[] drop = ["--inh-caps=-all", "--bounding-set=-bpf,-perfmon,-sys_admin", "--"];
        var ebpf = ChildProcess.Run("setpriv", [.. drop, SockpeerCli.Path, "watch", "--source", "ebpf", "--duration", "2s"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, ebpf.ExitCode);
        Assert.StartsWith("sockpeer: the eBPF event source cannot run here: ", ebpf.Stderr, StringComparison.Ordinal);
        Assert.Single(ebpf.Stderr.TrimEnd('\n').Split('\n'));

        var auto = ChildProcess.Run("setpriv", [.. drop, SockpeerCli.Path, "watch", "--json", "--duration", "1s", "--path", "/nonexistent-sockpeer-dir/*"], TimeSpan.FromMinutes(1));
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        var lines = auto.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var warning = Assert.Single(lines, l => l.Contains("\"ebpf_unavailable\"", StringComparison.Ordinal));
        SockPeer.Tests.Json.SchemaAssert.Valid(warning, "watchEvent");
    }

    [Fact]
    public void An_unknown_source_is_a_usage_error()
    {
        var r = SockpeerCli.Run("watch", "--source", "kprobe");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("sockpeer: ", r.Stderr, StringComparison.Ordinal);
    }
}
