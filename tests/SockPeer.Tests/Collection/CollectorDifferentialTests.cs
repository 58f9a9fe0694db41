using System.Globalization;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>
/// The bpf collector (a BPF iter/task_file pass for holders) and the procfs collector (the /proc walk) give the
/// same answer: on one real scene with every kind of socket and queue, several network namespaces,
/// fork-shared sockets, pending clients, a socket in flight, deleted and replaced files and a few
/// thousand connections, `list --json --collector bpf` and `--collector procfs` agree on every field
/// of every socket the scene made (and of every socket those lead to), and on their processes. The
/// scene's own processes are the ground truth for what exists; the two collectors are each other's
/// check for every fact.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CollectorDifferentialTests : IDisposable
{
    private const int Pairs = 1500;
    private const int Accepted = 300;
    private const int Waiting = 100;

    private readonly SocketScene _scene;

    public CollectorDifferentialTests()
    {
        _scene = SocketScene.Build()
            .Named("cdiff")
            .Listen("live", backlog: 4)
            .Connect("live", 1, Holder.Child, accept: 1)
            .Connect("live", 2, Holder.Child)
            .Connect("live", 1, Holder.ChildInNewNetNs, accept: 1)
            .Listen("full", backlog: 1)
            .Connect("full", 2, Holder.Child)
            .Listen("abs", abstractName: [0, .. "sockpeer-cdiff-abstract"u8])
            .Connect("abs", 1, Holder.Self, accept: 1)
            .Listen("deleted")
            .Connect("deleted", 1, Holder.Self, accept: 1)
            .Unlink("deleted")
            .Bind("dg")
            .Connect("dg", 2, Holder.ChildEach)
            .Pair("pr", secondEndInChild: true)
            .Pair("seq", SceneType.SeqPacket)
            .Pair("dgp", SceneType.Datagram)
            .Pair("carrier")
            .Pair("fl")
            .SendInFlight("carrier.a", "fl.b")
            .Unbound("lonely")
            .Listen("shared")
            .ShareWithChild("shared", "sharedcopy")
            .Then($$"""
                # Queues: a stream read in part, seqpacket and datagram messages waiting, a half shutdown.
                OBJ["pr.a"].sendall(b"x" * 100)
                OBJ["seq.a"].send(b"a" * 10)
                OBJ["seq.a"].send(b"b" * 20)
                OBJ["dgp.a"].send(b"c" * 7)
                OBJ["dgp.a"].send(b"d" * 9)
                OBJ["abs.client0"].sendall(b"y" * 50)
                OBJ["deleted.client0"].shutdown(socket.SHUT_WR)
                # A file replaced: a second listener bound to the path of a first that still listens.
                rpath = os.path.join(sys.argv[1], "replaced.sock")
                r1 = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)); r1.bind(rpath); r1.listen(4)
                os.unlink(rpath)
                r2 = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)); r2.bind(rpath); r2.listen(4)
                # Thousands: socketpairs, a listener with accepted and waiting clients.
                for i in range({{Pairs}}):
                    x, y = socket.socketpair()
                    track(x); track(y)
                bpath = os.path.join(sys.argv[1], "busy.sock")
                b = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)); b.bind(bpath); b.listen({{Waiting + 10}})
                cs = []
                for i in range({{Accepted}}):
                    c = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)); c.connect(bpath)
                    s, _ = b.accept(); track(s); cs.append(c)
                for i in range({{Waiting}}):
                    c = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)); c.connect(bpath); cs.append(c)
                EXTRA["busy"] = held(b)
                """)
            .Start();
    }

    public void Dispose() => _scene.Dispose();

    [SkippableFact]
    public void Bpf_and_procfs_collectors_agree_on_every_field_of_every_socket_of_the_scene()
    {
        Skip.IfNot(HostFacts.IsRoot, "the bpf collector needs root (CAP_BPF and CAP_PERFMON)");
        var procfs = List("procfs");
        var bpf = List("bpf");
        Assert.Equal("procfs", procfs.GetProperty("collector").GetString());
        Assert.Equal("bpf", bpf.GetProperty("collector").GetString());

        var pids = SceneProcesses();
        var fromProcfs = Sockets(procfs);
        var fromBpf = Sockets(bpf);
        var mine = Closure(fromProcfs, pids);
        // What the scene made, by its own account, is there: every connection, pair and listener.
        int expected = 2 * Pairs + 2 * Accepted + Waiting + 1;
        Assert.True(mine.Count >= expected, $"the scene made at least {expected} sockets; procfs shows {mine.Count} of them");
        Assert.Equal(Waiting, fromProcfs[_scene.Scenario.Info.GetProperty("busy").GetProperty("inode").GetUInt32()].GetProperty("pending").GetArrayLength());
        Assert.Equal(mine.Order(), Closure(fromBpf, pids).Order());

        var differences = new List<string>();
        foreach (uint inode in mine)
        {
            string a = fromProcfs[inode].GetRawText(), b = fromBpf[inode].GetRawText();
            if (a != b)
            {
                differences.Add($"socket {inode}:\n  procfs {a}\n  bpf    {b}");
            }
        }
        var processesA = Processes(procfs, pids);
        var processesB = Processes(bpf, pids);
        Assert.Equal(processesA.Keys.Order(), processesB.Keys.Order());
        foreach (var (pid, text) in processesA)
        {
            if (text != processesB[pid])
            {
                differences.Add($"process {pid}:\n  procfs {text}\n  bpf    {processesB[pid]}");
            }
        }
        Assert.True(differences.Count == 0, $"{differences.Count} differences, first: {string.Join("\n", differences.Take(5))}");
    }

    [SkippableFact]
    public void Auto_as_another_user_gives_the_procfs_answer_and_bpf_is_one_line_and_exit_1()
    {
        Skip.IfNot(HostFacts.IsRoot, "needs root to switch to uid 65534 with setpriv");
        var bpf = ChildProcess.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", SockpeerCli.Path, "list", "--collector", "bpf", "--netns", "current"], TimeSpan.FromSeconds(60), info => info.WorkingDirectory = "/");
        Assert.Equal(1, bpf.ExitCode);
        Assert.Empty(bpf.Stdout);
        string line = Assert.Single(bpf.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sockpeer: the bpf collector cannot run here: it needs root", line, StringComparison.Ordinal);

        var auto = ChildProcess.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", SockpeerCli.Path, "list", "--json", "--netns", "current"], TimeSpan.FromSeconds(60), info =>
        {
            info.WorkingDirectory = "/";
            info.Environment["SOCKPEER_COLLECTOR"] = "auto";
        });
        Assert.True(auto.ExitCode == 0, $"exit {auto.ExitCode}: {auto.Stderr}");
        var doc = auto.Json();
        Assert.Equal("procfs", doc.GetProperty("collector").GetString());
        Assert.Contains(doc.GetProperty("sockets").EnumerateArray(), s => s.GetProperty("inode").GetUInt32() == _scene.Inode("live"));
    }

    [SkippableFact]
    public void Asking_for_pipes_walks_proc_under_bpf_too_and_the_document_says_so()
    {
        Skip.IfNot(HostFacts.IsRoot, "the bpf collector needs root (CAP_BPF and CAP_PERFMON)");
        // Pipes, FIFOs and ptys are named by their /proc links: the walk that reads them finds the holders too.
        var r = SockpeerCli.Run("list", "--json", "--collector", "bpf", "--kind", "all", "--netns", "current");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var doc = r.Json();
        Assert.Equal("procfs", doc.GetProperty("collector").GetString());
        var live = Sockets(doc)[_scene.Inode("live")];
        Assert.Contains(live.GetProperty("holders").EnumerateArray(), h => h.GetProperty("pid").GetInt32() == _scene.Socket("live").Pid);
    }

    [Fact]
    public void A_collector_name_that_is_not_one_is_a_usage_error()
    {
        var r = SockpeerCli.Run("list", "--collector", "ebpf");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("sockpeer:", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    private static JsonElement List(string collector)
    {
        var r = SockpeerCli.Run("list", "--json", "--collector", collector);
        Assert.True(r.ExitCode == 0, $"--collector {collector}: exit {r.ExitCode}: {r.Stderr}");
        return r.Json();
    }

    private static Dictionary<uint, JsonElement> Sockets(JsonElement doc)
        => doc.GetProperty("sockets").EnumerateArray().ToDictionary(s => s.GetProperty("inode").GetUInt32());

    /// <summary>The scene's process and every descendant (children fork grandchildren for new namespaces).</summary>
    private HashSet<int> SceneProcesses()
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    string stat = File.ReadAllText($"{dir}/stat");
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // gone
                }
            }
        }
        var tree = new HashSet<int> { _scene.Pid };
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (tree.Contains(parent) && tree.Add(pid))
                {
                    grew = true;
                }
            }
        }
        return tree;
    }

    /// <summary>The sockets the scene's processes hold, those under its directory, and every socket they lead to (peers, pending clients, listeners).</summary>
    private HashSet<uint> Closure(Dictionary<uint, JsonElement> sockets, HashSet<int> pids)
    {
        var found = new HashSet<uint>();
        var todo = new Stack<uint>();
        foreach (var (inode, s) in sockets)
        {
            bool held = s.GetProperty("holders").EnumerateArray().Any(h => pids.Contains(h.GetProperty("pid").GetInt32()));
            bool named = s.GetProperty("name").ValueKind == JsonValueKind.String && s.GetProperty("name").GetString()!.StartsWith(_scene.Dir, StringComparison.Ordinal);
            if (held || named || inode == _scene.Inode("fl.b"))
            {
                todo.Push(inode);
            }
        }
        while (todo.TryPop(out uint inode))
        {
            if (!found.Add(inode) || !sockets.TryGetValue(inode, out var s))
            {
                continue;
            }
            foreach (string field in new[] { "peer", "listener" })
            {
                if (s.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.GetUInt32() != 0)
                {
                    todo.Push(v.GetUInt32());
                }
            }
            foreach (var p in s.GetProperty("pending").EnumerateArray())
            {
                todo.Push(p.GetUInt32());
            }
        }
        found.IntersectWith(sockets.Keys);
        return found;
    }

    private static Dictionary<int, string> Processes(JsonElement doc, HashSet<int> pids)
        => doc.GetProperty("processes").EnumerateArray()
            .Where(p => pids.Contains(p.GetProperty("pid").GetInt32()))
            .ToDictionary(p => p.GetProperty("pid").GetInt32(), p => p.GetRawText());
}
