using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// The reader as a long-running process drives it: passes run in order and are timed, a cancelled
/// snapshot stops, and holders' details are kept between snapshots only while the process is the
/// same one (pid and start time and comm), never inherited by a new process that got the same pid.
/// </summary>
public sealed class SocketInventoryReaderTests : IDisposable
{
    private const uint Socket = 9001;
    private readonly FakeProcfs _proc = new();
    private readonly string _passwd = Path.Combine(Path.GetTempPath(), $"sockpeer-passwd-{Guid.NewGuid():N}");

    public SocketInventoryReaderTests() => File.WriteAllText(_passwd, "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");

    public void Dispose()
    {
        _proc.Dispose();
        File.Delete(_passwd);
    }

    /// <summary>One unconnected datagram socket per snapshot, whatever the fake /proc says holds it.</summary>
    private static ScriptedDiagChannel OneSocket()
        => new ScriptedDiagChannel().Reply(seq => Nl.Record(seq, Socket, type: 2, state: UnixDiagState.Close)).ReplyDone();

    private SocketInventoryReader FakeHostReader(int snapshots)
        => new(new InventoryOptions
        {
            ProcRoot = _proc.Root,
            PasswdPath = _passwd,
            Channels = new ScriptedChannelFactory([.. Enumerable.Range(0, snapshots).Select(_ => OneSocket())]),
            CheckFiles = false,
            Parallelism = 1,
        });

    [Fact]
    public void Every_pass_is_timed_in_order_and_the_phases_add_up()
    {
        _proc.Process(4242, 100, "app", ["app"], 1000, (3, Socket));
        var inventory = FakeHostReader(1).Read();

        Assert.Equal(["plan", "dump", "count-check", "holders", "mend", "index", "project", "in-flight", "containers", "netns-names"],
            inventory.Timings.Passes.Select(p => p.Name));
        var t = inventory.Timings;
        Assert.Equal(t.Dump + t.Scan + t.Join, t.Passes.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Elapsed));
    }

    [Fact]
    public void A_cancelled_snapshot_throws_and_dumps_nothing()
    {
        var factory = new ScriptedChannelFactory(OneSocket());
        var reader = new SocketInventoryReader(new InventoryOptions { Channels = factory, ResolveHolders = false, CheckFiles = false });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => reader.Read(cancelled.Token));
        Assert.Equal(0, factory.Opened);
        Assert.Single(reader.Read().Sockets); // the reader is still usable
    }

    [Fact]
    public void A_pid_reused_by_a_new_process_does_not_inherit_the_old_details()
    {
        var reader = FakeHostReader(6);
        _proc.Process(4242, 100, "old", ["old", "--serve"], 1000, (3, Socket));
        var first = reader.Read().FindProcess(4242)!;
        Assert.Equal(("old", "alice"), (first.Command, first.User));
        Assert.Equal(["old", "--serve"], first.CommandLine);

        // Same pid, start time and comm: the same process, not read again (the cache is in use).
        _proc.SetCmdline(4242, ["changed"]);
        Assert.Equal(["old", "--serve"], reader.Read().FindProcess(4242)!.CommandLine);

        // The old process exited and a new one got its pid: new start time, everything read anew.
        _proc.Process(4242, 200, "new", ["new", "--other"], 0, (5, Socket));
        var reused = reader.Read().FindProcess(4242)!;
        Assert.Equal(("new", "root", 0u), (reused.Command, reused.User, reused.Uid));
        Assert.Equal(["new", "--other"], reused.CommandLine);

        // Same start time, other comm: the process exec'd another program.
        _proc.Process(4242, 200, "newer", ["newer"], 0, (5, Socket));
        Assert.Equal(["newer"], reader.Read().FindProcess(4242)!.CommandLine);
        Assert.Equal(1, reader.CachedProcesses);

        // Gone: dropped from the snapshot and from the cache.
        _proc.Remove(4242);
        var after = reader.Read();
        Assert.Null(after.FindProcess(4242));
        Assert.Empty(after.Find(Socket)!.Holders);
        Assert.Equal(0, reader.CachedProcesses);
    }

    [Fact]
    public void A_changed_passwd_file_renames_cached_users()
    {
        var reader = FakeHostReader(2);
        _proc.Process(4242, 100, "app", ["app"], 1000, (3, Socket));
        Assert.Equal("alice", reader.Read().FindProcess(4242)!.User);

        File.WriteAllText(_passwd, "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n");
        Assert.Equal("bob", reader.Read().FindProcess(4242)!.User);
    }

    private const string ExecThenExit = """
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
        a, b = socket.socketpair()
        os.set_inheritable(b.fileno(), True)
        go = os.path.join(sys.argv[1], "go")
        os.mkfifo(go)
        pid = os.fork()
        if pid == 0:
            with open(go) as f:
                f.read(1)
            os.execvp("sleep", ["sleep", "300"])
        ready(child=pid, b=ino(b), b_fd=b.fileno())
        hold()
        """;

    [Fact]
    public void Real_processes_a_holder_that_execs_is_read_again_and_one_that_exits_is_dropped()
    {
        using var scenario = Scenario.Start(ExecThenExit);
        int child = scenario.Int("child");
        var reader = new SocketInventoryReader(new InventoryOptions { CheckFiles = false });
        Assert.Equal("python3", reader.Read().FindProcess(child)!.Command);
        Assert.Equal("python3", reader.Read().FindProcess(child)!.Command); // cached, still right

        File.WriteAllText(Path.Combine(scenario.WorkDir, "go"), "x");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? command = null;
        while (DateTime.UtcNow < deadline && (command = reader.Read().FindProcess(child)?.Command) != "sleep")
        {
            Thread.Sleep(20);
        }
        Assert.Equal("sleep", command);

        using (var p = System.Diagnostics.Process.GetProcessById(child))
        {
            p.Kill();
        }
        // Gone once no fd of it is seen: until the kernel has closed its files, the walk may still list them.
        SocketInventory? after = null;
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline
            && ((after = reader.Read()).FindProcess(child) is not null || after.Find(scenario.Inode("b"))!.Holders.Any(h => h.Pid == child)))
        {
            Thread.Sleep(20);
        }
        Assert.Null(after!.FindProcess(child));
        Assert.DoesNotContain(after.Find(scenario.Inode("b"))!.Holders, h => h.Pid == child);
        Assert.Contains(after.Find(scenario.Inode("b"))!.Holders, h => h.Pid == scenario.Pid);
        Assert.False(reader.CachesProcess(child));
    }
}
