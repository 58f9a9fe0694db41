using System.Diagnostics;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// The /proc side under churn: processes (and their threads' own fd tables) that hold sockets are
/// forked and SIGKILLed by the hundred while the library takes snapshot after snapshot. Directories
/// and fds vanish mid-walk (ENOENT, ESRCH): never an exception, and every snapshot consistent.
/// </summary>
[Collection(RobustnessCollection.Name)]
public class ProcVanishTests(ITestOutputHelper output)
{
    private const string Churner = """
        import ctypes, random, threading
        libc = ctypes.CDLL(None, use_errno=True)
        path = os.path.join(sys.argv[1], "vanish.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(512)
        def accept_loop():
            held = []
            while True:
                conn, _ = srv.accept()
                held.append(conn)
                if len(held) > 64:
                    held.pop(0).close()
        threading.Thread(target=accept_loop, daemon=True).start()

        def die_with(parent):
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(0)

        def victim(rnd, parent):
            die_with(parent)
            keep = [socket.socketpair() for _ in range(rnd.randint(1, 4))]
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(1)
            try:
                c.connect(path)
            except OSError:
                pass
            keep.append(c)
            if rnd.random() < 0.3:  # a thread with its own fd table, scanned through /proc/PID/task/TID/fd
                def own():
                    libc.unshare(0x400)
                    mine = socket.socketpair()
                    time.sleep(60)
                threading.Thread(target=own, daemon=True).start()
            if rnd.random() < 0.2:  # a grandchild sharing the sockets
                me = os.getpid()
                if os.fork() == 0:
                    die_with(me)
                    time.sleep(60)
                    os._exit(0)
            time.sleep(60)

        main = os.getpid()
        churner = os.fork()
        if churner == 0:
            die_with(main)
            me = os.getpid()
            rnd = random.Random()
            alive, forks = [], 0
            counter = os.path.join(sys.argv[1], "forks")
            while True:
                pid = os.fork()
                if pid == 0:
                    try:
                        victim(rnd, me)
                    finally:
                        os._exit(0)
                alive.append(pid)
                forks += 1
                while len(alive) > rnd.randint(5, 40):
                    os.kill(alive.pop(rnd.randrange(len(alive))), signal.SIGKILL)
                while True:
                    try:
                        if os.waitpid(-1, os.WNOHANG)[0] == 0:
                            break
                    except ChildProcessError:
                        break
                if forks % 10 == 0:
                    with open(counter + ".tmp", "w") as f:
                        f.write(str(forks))
                    os.replace(counter + ".tmp", counter)
                time.sleep(rnd.random() * 0.01)
        ready(churner=churner, listener=ino(srv))
        hold()
        """;

    [Fact]
    public void Snapshots_while_holders_are_forked_and_killed_are_consistent_and_never_throw()
    {
        const int Snapshots = 50, MinForks = 100;
        // Not a time limit: only a guard against a churner that never gets going. A slow or loaded
        // machine takes longer, and the test waits for it.
        var deadline = TimeSpan.FromMinutes(5);
        using var scenario = Scenario.Start(Churner);
        int churner = scenario.Int("churner");
        var reader = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current });
        var clock = Stopwatch.StartNew();
        int taken = 0, sawChurnHolders = 0, maxChurnProcesses = 0;
        var problems = new List<string>();
        string counter = Path.Combine(scenario.WorkDir, "forks");
        // Snapshots start once the churn runs (its first forks counted), then go on until enough holders came and went.
        while (Forks(counter) < 10 && clock.Elapsed < deadline)
        {
            Thread.Sleep(20);
        }
        while ((taken < Snapshots || Forks(counter) < MinForks) && clock.Elapsed < deadline)
        {
            // Mostly one reused reader (a watcher), sometimes a fresh one.
            var inventory = (taken % 5 == 4 ? new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }) : reader).Read();
            taken++;
            foreach (var v in Consistency.Violations(inventory))
            {
                problems.Add($"snapshot {taken}: {v}");
            }
            int churnProcesses = inventory.Processes.Count(p => p.PPid == churner);
            maxChurnProcesses = Math.Max(maxChurnProcesses, churnProcesses);
            if (churnProcesses > 0)
            {
                sawChurnHolders++;
            }
            Assert.NotNull(inventory.Find(scenario.Inode("listener")));
        }
        int forks = Forks(counter);
        output.WriteLine($"{taken} snapshots in {clock.Elapsed.TotalSeconds:F1} s while {forks} holder processes were forked and killed; "
            + $"{sawChurnHolders} snapshots saw them holding sockets (up to {maxChurnProcesses} at once)");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(forks >= MinForks, $"only {forks} processes were forked: the churn did not run");
        Assert.True(sawChurnHolders > 0, "no snapshot saw a churn process holding a socket");
    }

    private static int Forks(string counter)
    {
        try
        {
            return int.Parse(File.ReadAllText(counter));
        }
        catch (IOException)
        {
            return 0; // not written yet
        }
    }
}
