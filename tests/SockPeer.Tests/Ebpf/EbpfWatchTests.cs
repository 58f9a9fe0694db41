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

    private static int Pid(CliResult r) => int.Parse(r.Stdout.Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static bool HasProcess(JsonElement e, int pid, string command)
        => e.GetProperty("processes").EnumerateArray().Any(p => p.GetProperty("pid").GetInt32() == pid && p.GetProperty("command").GetString() == command);

    [Fact]
    public void Two_hundred_one_millisecond_connections_are_each_printed_with_their_connect_and_close()
    {
        using var server = UnixKernelEventSourceTests.Server();
        string path = server.Socket("s").Path!;
        using var watch = new WatchStream("--source", "ebpf", "--json", "--initial", "--path", server.Dir + "/*");
        // The listener's exists line comes once the program is attached and the first snapshot taken
        // (not any line: a warning a host happens to give is no sign that the watch has started).
        watch.WaitFor("the listener's exists line", e => e.Is("exists", "socket", server.Socket("s").Inode));
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
        int connects = 0, closes = 0, accepts = 0;
        var clients = new HashSet<uint>();
        while (closes < 200)
        {
            var e = watch.WaitFor($"connect/close number {closes + 1} of pid {pid}", e => e.Kind() is "connect" or "accept" or "close" && HasProcess(e, pid, "python3"));
            if (e.Kind() == "accept")
            {
                // The server's accept names the client, even when it ran before the client's connect returned.
                Assert.Contains(e.GetProperty("socket").GetProperty("inode").GetUInt32(), clients);
                Assert.True(HasProcess(e, server.Pid, "python3"), e.ToString());
                accepts++;
                continue;
            }
            Assert.Equal("ebpf", e.GetProperty("source").GetString());
            Assert.Contains(e.GetProperty("socket").GetProperty("holders").EnumerateArray(), h => h.GetProperty("pid").GetInt32() == pid);
            Assert.Equal(server.Socket("s").Inode, e.GetProperty("listener").GetProperty("inode").GetUInt32());
            if (e.Kind() == "connect")
            {
                connects++;
                clients.Add(e.GetProperty("socket").GetProperty("inode").GetUInt32());
            }
            else
            {
                closes++;
                // From the kernel's own timestamps; the server end may close within the same millisecond.
                Assert.True(e.GetProperty("observedFor").GetDouble() >= 0);
            }
        }
        Assert.Equal(200, connects);
        // A client that closes before the server gets to accept it has no accept (the kernel's accept names no peer).
        Assert.True(accepts >= 190, $"{accepts} of 200 connections printed their accept");
    }

    [Fact]
    public void Events_lost_while_the_watcher_is_stopped_are_reported_as_an_ebpf_lost_warning()
    {
        using var server = UnixKernelEventSourceTests.Server();
        // The kernel keeps what begins with WORKDIR/s (the glob's literal start), so the flood on
        // WORKDIR/s-flood fills the ring; the watcher's own filter then drops it unprinted.
        using var watch = new WatchStream("--source", "ebpf", "--json", "--initial", "--path", server.Dir + "/s*.sock");
        watch.WaitFor("the listener's exists line", e => e.Is("exists", "socket", server.Socket("s").Inode));
        // Stopped, the watcher reads nothing: 20,000 connections (60,000 events of 216 bytes) overflow
        // its 8 MiB ring buffer.
        watch.Signal("STOP");
        try
        {
            var flood = ChildProcess.Run("python3", ["-c", """
                import os, socket, sys, threading
                path = os.path.join(sys.argv[1], "s-flood")
                srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                srv.bind(path)
                srv.listen(4096)
                def serve():
                    while True:
                        srv.accept()[0].close()
                threading.Thread(target=serve, daemon=True).start()
                for _ in range(20000):
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(path)
                    s.close()
                os.unlink(path)
                """, server.Dir], TimeSpan.FromMinutes(2));
            Assert.True(flood.ExitCode == 0, flood.Stderr);
        }
        finally
        {
            watch.Signal("CONT");
        }
        var warning = watch.WaitFor("an ebpf_lost warning", e => e.Kind() == "warning" && e.GetProperty("code").GetString() == "ebpf_lost");
        SockPeer.Tests.Json.SchemaAssert.Valid(warning.GetRawText(), "watchEvent");
        var lost = System.Text.RegularExpressions.Regex.Match(warning.GetProperty("message").GetString()!, "^([0-9]+) kernel event");
        Assert.True(lost.Success && long.Parse(lost.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, warning.GetRawText());
    }

    [Fact]
    public void A_client_that_exits_at_once_is_named_in_the_human_view()
    {
        using var server = UnixKernelEventSourceTests.Server();
        string path = server.Socket("s").Path!;
        using var watch = new WatchStream("--source", "ebpf", "--path", server.Dir + "/*");
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
