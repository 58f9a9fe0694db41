using System.Diagnostics;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `sockpeer watch --json` on the real kernel: sockets made by separate python processes after the
/// watcher took its first snapshot, each event read from the stream (schema-checked) until it comes
/// or a generous deadline passes. Every watch is filtered to the test's private directory, so the
/// sockets of other tests on the machine do not show.
/// </summary>
public class WatchTests
{
    private const string Interval = "100ms";

    /// <summary>
    /// Starts a watch on <paramref name="driver"/>'s directory once its first snapshot is known to be
    /// taken: a sentinel socket made before it is reported as existing (--initial).
    /// </summary>
    internal static WatchStream Watch(SocketDriver driver, params string[] extra)
    {
        uint sentinel = driver.Bind("sentinel.sock", "sentinel").Inode;
        var watch = new WatchStream(["--json", "--initial", "--interval", Interval, "--path", driver.Dir + "/*", .. extra]);
        watch.WaitFor("the sentinel's exists event", e => e.Is("exists", "socket", sentinel));
        return watch;
    }

    [Fact]
    public void A_listener_appears_then_goes()
    {
        using var server = new SocketDriver();
        using var watch = Watch(server);
        var l = server.Listen(backlog: 7);
        uint inode = l.Inode;
        var listen = watch.WaitFor("listen", e => e.Is("listen", "socket", inode));
        Assert.True(listen.HeldBy("socket", server.Pid, l.Fd), listen.ToString());
        Assert.Equal(7u, listen.GetProperty("socket").GetProperty("backlog").GetUInt32());
        Assert.Contains(listen.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == server.Pid);
        server.Do("l.close(); reply()");
        var unlisten = watch.WaitFor("unlisten", e => e.Is("unlisten", "socket", inode));
        Assert.True(unlisten.GetProperty("observedFor").GetDouble() > 0);
    }

    [Fact]
    public void A_client_connects_and_is_accepted_with_both_ends_pids_and_fds()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        var l = server.Listen();
        using var watch = Watch(server);
        var c = client.Connect();
        var a = server.Accept();
        uint clientInode = c.Inode;
        // Connect and accept may fall into one interval (connect) or two (pending, then accept).
        var e = watch.WaitFor("connect or accept", e => (e.Kind() is "connect" or "accept") && e.Is(e.Kind(), "socket", clientInode));
        Assert.True(e.HeldBy("socket", client.Pid, c.Fd), e.ToString());
        Assert.Equal(a.Inode, e.Inode("peer"));
        Assert.True(e.HeldBy("peer", server.Pid, a.Fd), e.ToString());
        Assert.Equal(l.Inode, e.Inode("listener"));
        var pids = e.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToList();
        Assert.Contains(client.Pid, pids);
        Assert.Contains(server.Pid, pids);
        Assert.Equal("poll", e.GetProperty("source").GetString());
    }

    [Fact]
    public void Three_clients_wait_then_are_accepted()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        uint listener = server.Listen().Inode;
        using var watch = Watch(server);
        var inodes = Enumerable.Range(0, 3).Select(i => client.Connect(variable: $"c{i}").Inode).ToList();
        // Events of one interval come in inode order, and inodes come from per-CPU batches, not in
        // the order of the connects: wait for each in whatever order it comes.
        var waiting = inodes.ToHashSet();
        while (waiting.Count > 0)
        {
            var pending = watch.WaitFor($"pending of #{string.Join(", #", waiting)}", e => e.Kind() == "pending" && waiting.Contains(e.Inode("socket")));
            waiting.Remove(pending.Inode("socket"));
            Assert.Equal(listener, pending.Inode("listener"));
            Assert.Equal(JsonValueKind.Null, pending.GetProperty("peer").ValueKind);
        }
        // The server ends' inodes and fds, as the accepting process has them: the ground truth of each accept's peer.
        var accepted = server.Do("acc = [l.accept()[0] for _ in range(3)]; reply(ends={str(ino(a)): a.fileno() for a in acc})")
            .GetProperty("ends").EnumerateObject().ToDictionary(p => uint.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetInt32());
        waiting = inodes.ToHashSet();
        while (waiting.Count > 0)
        {
            var accept = watch.WaitFor($"accept of #{string.Join(", #", waiting)}", e => e.Kind() == "accept" && waiting.Contains(e.Inode("socket")));
            waiting.Remove(accept.Inode("socket"));
            Assert.Equal(listener, accept.Inode("listener"));
            uint serverEnd = accept.Inode("peer");
            Assert.True(accepted.TryGetValue(serverEnd, out int fd), $"accept names #{serverEnd} as the server end, not one the server accepted: {accept}");
            Assert.True(accept.HeldBy("peer", server.Pid, fd), $"accept's server end is not held by {server.Pid}:{fd}: {accept}");
        }
    }

    [Fact]
    public void A_connection_closes_from_either_side()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        server.Listen();
        uint c1 = client.Connect(variable: "c1").Inode, c2 = client.Connect(variable: "c2").Inode;
        server.Accept(variable: "a1");
        server.Accept(variable: "a2");
        using var watch = Watch(server);
        client.Do("c1.close(); reply()");
        var byClient = watch.WaitFor("close of c1 (client side)", e => e.Is("close", "socket", c1));
        Assert.True(byClient.GetProperty("observedFor").GetDouble() > 0);
        server.Do("a2.close(); reply()");
        var byServer = watch.WaitFor("close of c2 (server side)", e => e.Is("close", "socket", c2));
        Assert.Equal(JsonValueKind.Object, byServer.GetProperty("peer").ValueKind);
        Assert.Single(watch.Events, e => e.Kind() == "close" && e.Inode("socket") == c1);
    }

    [Fact]
    public void A_listeners_queue_fills_to_its_backlog_and_drains()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        uint listener = server.Listen(backlog: 1).Inode;
        using var watch = Watch(server);
        // The kernel admits limit + 1 clients; the queue is then full (the next connect would wait).
        client.Do("""
            cs = [nonblocking_connect(D + "/s.sock") for _ in range(2)]
            reply()
            """);
        var full = watch.WaitFor("backlog full", e => e.Is("backlog", "socket", listener) && e.GetProperty("backlog").GetProperty("full").GetBoolean());
        Assert.Equal(2u, full.GetProperty("backlog").GetProperty("pending").GetUInt32());
        Assert.Equal(1u, full.GetProperty("backlog").GetProperty("limit").GetUInt32());
        server.Do("a, _ = l.accept(); reply()");
        var drained = watch.WaitFor("backlog drained", e => e.Is("backlog", "socket", listener) && !e.GetProperty("backlog").GetProperty("full").GetBoolean());
        Assert.Equal(1u, drained.GetProperty("backlog").GetProperty("pending").GetUInt32());
    }

    [Fact]
    public void A_forked_child_inherits_a_client_socket()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        server.Listen();
        var c = client.Connect();
        server.Accept();
        uint inode = c.Inode;
        int fd = c.Fd;
        using var watch = Watch(server);
        int child = client.Do("""
            child = os.fork()
            if child == 0:
                orphan_exit()
            reply(child=child)
            """).GetProperty("child").GetInt32();
        var gained = watch.WaitFor("holders gained", e => e.Is("holders", "socket", inode)
            && e.GetProperty("holders").GetProperty("gained").EnumerateArray().Any(h => h.GetProperty("pid").GetInt32() == child && h.GetProperty("fd").GetInt32() == fd));
        Assert.True(gained.HeldBy("socket", client.Pid, fd));
        Assert.Contains(gained.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == child);
        client.Do("os.kill(child, signal.SIGKILL); os.waitpid(child, 0); reply()");
        watch.WaitFor("holders lost", e => e.Is("holders", "socket", inode)
            && e.GetProperty("holders").GetProperty("lost").EnumerateArray().Any(h => h.GetProperty("pid").GetInt32() == child));
    }

    [SkippableFact]
    public void A_client_in_another_network_namespace_connects_to_a_host_listener()
    {
        Ns.RequireRoot();
        using var server = new SocketDriver();
        uint listener = server.Listen().Inode;
        using var watch = Watch(server);
        var child = server.Do("""
            code = '''
            import json, os, socket, sys
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(sys.argv[1])
            print(json.dumps(dict(pid=os.getpid(), ino=os.fstat(c.fileno()).st_ino, fd=c.fileno(), netns=os.stat("/proc/self/ns/net").st_ino)), flush=True)
            sys.stdin.read()
            '''
            nsclient = subprocess.Popen(["unshare", "--net", "python3", "-c", code, D + "/s.sock"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            info = json.loads(nsclient.stdout.readline())
            a, _ = l.accept()
            info["accepted"] = ino(a)
            reply(**info)
            """);
        ulong childNs = child.GetProperty("netns").GetUInt64();
        Assert.NotEqual(Ns.Current, childNs);
        uint inode = child.GetProperty("ino").GetUInt32();
        var e = watch.WaitFor("connect or accept from the other namespace", e => (e.Kind() is "connect" or "accept") && e.Is(e.Kind(), "socket", inode));
        Assert.Equal(childNs, e.GetProperty("socket").GetProperty("netns").GetUInt64());
        Assert.Equal(child.GetProperty("accepted").GetUInt32(), e.Inode("peer"));
        Assert.Equal(listener, e.Inode("listener"));
        // The fd walk and the dumps run side by side, so a socket made while they run can be dumped
        // before its process's fds were read: then the next snapshot reports its holder.
        int pid = child.GetProperty("pid").GetInt32(), fd = child.GetProperty("fd").GetInt32();
        if (!e.HeldBy("socket", pid, fd))
        {
            watch.WaitFor("the client's holder", h => h.Is("holders", "socket", inode) && h.HeldBy("socket", pid, fd));
        }
        server.Do("nsclient.stdin.close(); nsclient.wait(); reply()");
        watch.WaitFor("close from the other namespace", e => e.Is("close", "socket", inode));
    }

    [Fact]
    public void Path_and_pid_filters_drop_unrelated_events()
    {
        using var watched = new SocketDriver();
        using var other = new SocketDriver();
        using var otherPid = new SocketDriver(watched.Dir);
        using var watch = Watch(watched, "--pid", watched.Pid.ToString());
        // Unrelated: another directory; the watched directory but another process.
        uint elsewhere = other.Listen("x.sock", backlog: 1, variable: "x").Inode;
        uint otherProcess = otherPid.Listen("y.sock", backlog: 1, variable: "y").Inode;
        // Made after them: once its event is read, theirs would have been read before it.
        uint wanted = watched.Listen("z.sock", backlog: 1, variable: "z").Inode;
        watch.WaitFor("listen of the watched socket", e => e.Is("listen", "socket", wanted));
        var socketEvents = watch.Events.Where(e => e.Kind() != "warning").ToList();
        Assert.DoesNotContain(socketEvents, e => e.Inode("socket") == elsewhere || e.Inode("socket") == otherProcess);
        Assert.All(socketEvents.Where(e => e.Kind() != "exists"), e => Assert.Equal(wanted, e.Inode("socket")));
    }

    [Fact]
    public void Nothing_is_emitted_for_an_idle_sample_of_20_ticks()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        server.Listen();
        client.Connect();
        server.Accept();
        var clock = Stopwatch.StartNew();
        using var watch = new WatchStream("--json", "--interval", "50ms", "--duration", "1s", "--path", server.Dir + "/*");
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"ended after {clock.Elapsed}");
        // Warnings are about the whole machine (other tests' churn, guarded processes), not these sockets.
        Assert.DoesNotContain(watch.Events, e => e.Kind() != "warning");
    }

    [Fact]
    public void Count_stops_after_n_events_that_happen_after_the_initial_state()
    {
        // --count counts what happens after the start: --initial's exists lines and warnings are not counted.
        using var server = new SocketDriver();
        for (int i = 0; i < 3; i++)
        {
            server.Listen($"s{i}.sock", backlog: 1, variable: $"s{i}");
        }
        using var watch = new WatchStream("--json", "--initial", "--count", "2", "--interval", Interval, "--path", server.Dir + "/*");
        watch.WaitFor("the initial state", e => e.Kind() == "exists");
        for (int i = 3; i < 6; i++)
        {
            server.Listen($"s{i}.sock", backlog: 1, variable: $"s{i}");
        }
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(3, watch.Events.Count(e => e.Kind() == "exists"));
        Assert.Equal(2, watch.Events.Count(e => e.Kind() is not ("warning" or "exists")));
        Assert.All(watch.Events.Where(e => e.Kind() is not ("warning" or "exists")), e => Assert.Equal("listen", e.Kind()));
    }

    [Fact]
    public void Duration_stops_the_watch()
    {
        var clock = Stopwatch.StartNew();
        using var watch = new WatchStream("--duration", "700ms", "--interval", Interval, "--path", "/nonexistent-sockpeer-dir/*");
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(700), $"ended after {clock.Elapsed}");
        Assert.StartsWith("watching 0 socket(s)", watch.Seen[0]);
        Assert.Equal("", watch.Stderr);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void A_signal_ends_the_watch_at_once_with_status_0(string signal)
    {
        using var watch = new WatchStream("--interval", "1m", "--path", "/nonexistent-sockpeer-dir/*");
        Assert.NotNull(watch.NextLine(WatchStream.Deadline)); // the "watching" line: the first snapshot is taken
        var clock = Stopwatch.StartNew();
        watch.Signal(signal);
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(30)));
        // Well within the one-minute interval the watch was waiting for.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed} to stop");
        Assert.Equal("", watch.Stderr);
    }

    [Fact]
    public void A_closed_pipe_ends_an_idle_watch_quietly()
    {
        // `| true` closes the pipe before anything is written; the watch must notice while idle.
        var r = SockpeerCli.Bash("""
            timeout 60 "$1" watch --interval 50ms --path '/nonexistent-sockpeer-dir/*' 2>"$2/err" | true
            echo "status=${PIPESTATUS[0]}"
            timeout 60 "$1" watch --json --initial --interval 50ms 2>>"$2/err" | head -1 >/dev/null
            echo "status=${PIPESTATUS[0]}"
            cat "$2/err"
            """);
        Assert.Equal("status=0\nstatus=0\n", r.Stdout);
    }
}
