using System.Text.Json;
using System.Text.RegularExpressions;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Inventory;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Every <c>socket:[N]</c> link of an AF_UNIX socket in /proc is either in the output (with that
/// holder) or counted in a warning. The population is busy and mixed: pairs of each type, path and
/// abstract listeners with accepted and pending clients, TCP and netlink sockets (which must be
/// neither listed nor counted), sockets in a namespace held by an fd, in one held only by its
/// sockets, and sockets received from a child that has exited in its own namespace.
/// </summary>
public sealed partial class SocketAccountingTests : IDisposable
{
    private const int Nobody = 65534;

    /// <summary>argv-free: DROP is replaced by True to make the workers nobody once their sockets exist.</summary>
    private const string Population = HeldNamespaceTests.NetnsHelpers + "\n" + """
        PR_SET_DUMPABLE = 4
        drop = DROP
        def worker(k, w):
            keep = []
            unix, other = [], []
            def u(*socks):
                keep.extend(socks)
                unix.extend(ino(s) for s in socks)
            for i in range(40):
                u(*socket.socketpair(socket.AF_UNIX, [socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET][i % 3]))
            path = os.path.join(sys.argv[1], f"w{k}.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(16)
            u(srv)
            for i in range(8):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(path)
                u(c)
                if i < 5:
                    u(srv.accept()[0])
            abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            abstract.bind(b"\0sockpeer-acct-" + os.urandom(6).hex().encode())
            u(abstract)
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.bind(("127.0.0.1", 0))
            t.listen(4)
            tc = socket.create_connection(t.getsockname())
            ta = t.accept()[0]
            nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
            keep.extend([t, tc, ta, nl])
            other.extend(ino(s) for s in (t, tc, ta, nl))
            if k == 0:
                # a namespace held by an fd
                home = enter_new_netns()
                held = os.open("/proc/self/ns/net", os.O_RDONLY)
                pairs = [socket.socketpair() for _ in range(10)]
                go_home(home)
                for p in pairs:
                    u(*p)
            if k == 1:
                # a namespace held only by its sockets
                home = enter_new_netns()
                pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(10)]
                go_home(home)
                for p in pairs:
                    u(*p)
            if k == 2:
                # received from a child that exits in its own namespace
                a, b = socket.socketpair()
                pid = os.fork()
                if pid == 0:
                    a.close()
                    enter_new_netns()
                    x, y = socket.socketpair()
                    l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    l.bind(b"\0sockpeer-acct-gone-" + os.urandom(6).hex().encode())
                    l.listen(2)
                    send_fds(b, [x.fileno(), y.fileno(), l.fileno()])
                    os._exit(0)
                b.close()
                _, anc, _, _ = a.recvmsg(16, socket.CMSG_SPACE(3 * 4))
                fds = array.array("i")
                for level, kind, data in anc:
                    fds.frombytes(data[:len(data) - (len(data) % 4)])
                os.waitpid(pid, 0)
                u(a)
                for fd in fds:
                    u(socket.socket(fileno=fd))
            if drop:
                os.setresgid(65534, 65534, 65534)
                os.setgroups([])
                os.setresuid(65534, 65534, 65534)
                libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
            child_report(w, pid=os.getpid(), unix=unix, other=other)
            hold()
        pids, unix, other = [], [], []
        for k in range(3):
            r, w = os.pipe()
            if os.fork() == 0:
                os.close(r)
                worker(k, w)
            os.close(w)
            rep = read_report(r)
            pids.append(rep["pid"])
            unix.extend(rep["unix"])
            other.extend(rep["other"])
        ready(workers=pids, unix=unix, other=other)
        hold()
        """;

    private readonly string _dir;

    public SocketAccountingTests()
    {
        _dir = Directory.CreateTempSubdirectory("sockpeer-acct-").FullName;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Scenario Start(bool dropToNobody)
    {
        var s = Scenario.Start(Population.Replace("drop = DROP", dropToNobody ? "drop = True" : "drop = False", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return s;
    }

    /// <summary>Every (pid, fd, inode) socket link of the workers, read now from /proc: what the fd walk sees.</summary>
    private static List<(int Pid, int Fd, uint Inode)> SocketLinks(Scenario s)
    {
        var links = new List<(int, int, uint)>();
        foreach (int pid in s.Info.GetProperty("workers").EnumerateArray().Select(p => p.GetInt32()))
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    links.Add((pid, int.Parse(Path.GetFileName(fd)), uint.Parse(target[8..^1])));
                }
            }
        }
        return links;
    }

    private static (HashSet<uint> Unix, HashSet<uint> Other) Kinds(Scenario s)
        => (s.Info.GetProperty("unix").EnumerateArray().Select(x => x.GetUInt32()).ToHashSet(),
            s.Info.GetProperty("other").EnumerateArray().Select(x => x.GetUInt32()).ToHashSet());

    [SkippableFact]
    public void As_root_every_unix_socket_link_is_listed_with_its_holder()
    {
        Ns.RequireRoot();
        using var s = Start(dropToNobody: false);
        var (unix, other) = Kinds(s);
        var links = SocketLinks(s);
        Assert.True(links.Count >= 3 * 100, $"only {links.Count} socket links");
        // The script's own account and /proc agree: every link is one of the sockets it made.
        Assert.Equal(unix.Union(other).Order(), links.Select(l => l.Inode).Distinct().Order());

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();
        var missing = links.Where(l => unix.Contains(l.Inode)
            && !(inventory.Find(l.Inode) is { } found && found.Holders.Contains(new SockPeer.Model.SocketHolder(l.Pid, l.Fd)))).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} unix socket links neither listed with their holder nor counted: "
            + string.Join(", ", missing.Take(10)) + "; warnings: " + string.Join(" | ", inventory.Warnings));
        Assert.All(other, inode => Assert.Null(inventory.Find(inode)));
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code == WarningCode.SocketsInNoDump && w.Pids.Intersect(links.Select(l => l.Pid)).Any());
    }

    [GeneratedRegex(@"^(\d+) AF_UNIX socket fd\(s\) seen in /proc \((\d+) socket\(s\)\) were found in no sock_diag dump.*held by pid ([\d, ]+)")]
    private static partial Regex InNoDump();

    /// <summary>
    /// As nobody, sockpeer can borrow the workers' fds (they are nobody's too) but may not ask a
    /// namespace it has no CAP_NET_ADMIN over: those sockets are missing, and counted.
    /// </summary>
    [SkippableFact]
    [FiresWarning(WarningCode.SocketsInNoDump)]
    public void As_nobody_the_sockets_it_cannot_reach_are_counted_in_a_warning()
    {
        Ns.RequireRoot();
        Skip.IfNot(Ns.Tool("setpriv") && OperatingSystem.IsLinux(), "needs setpriv (util-linux)");
        string binary = Path.Combine(_dir, "sockpeer");
        File.Copy(SockpeerCli.Path, binary);
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_dir, open);
            File.SetUnixFileMode(binary, open);
        }

        using var s = Start(dropToNobody: true);
        var (unix, _) = Kinds(s);
        var links = SocketLinks(s);
        var result = Ns.Run("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", binary, "list", "--json"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Ns.NoStackTrace(result);
        SchemaAssert.Valid(result.Stdout, "list");
        var doc = result.Json();
        var listed = new Dictionary<uint, HashSet<(int, int)>>();
        foreach (var socket in doc.GetProperty("sockets").EnumerateArray())
        {
            listed[socket.GetProperty("inode").GetUInt32()] = socket.Holders();
        }
        var missing = links.Where(l => unix.Contains(l.Inode) && !(listed.TryGetValue(l.Inode, out var h) && h.Contains((l.Pid, l.Fd)))).ToList();
        // 20 fds of the fd-held namespace, 20 of the socket-held one, 3 received: nobody can ask none of those namespaces.
        Assert.True(missing.Count >= 43, $"expected the sockets of the other namespaces to be missing as nobody, {missing.Count} are");
        var counted = doc.GetProperty("warnings").EnumerateArray().Select(w => InNoDump().Match(w.GetString()!)).SingleOrDefault(m => m.Success);
        Assert.True(counted is not null, "no sockets_in_no_dump warning: " + string.Join(" | ", doc.GetProperty("warnings").EnumerateArray()));
        Assert.True(int.Parse(counted.Groups[1].Value) >= missing.Count, $"{missing.Count} links missing, the warning counts {counted.Groups[1].Value}");
        var pids = counted.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        Assert.Superset(missing.Select(l => l.Pid).ToHashSet(), pids);
        // Inet and netlink sockets are not AF_UNIX: not counted. The warning counts exactly the unix fds missing (allowing for other nobody processes).
        Assert.True(int.Parse(counted.Groups[1].Value) - missing.Count < 10, $"the warning counts {counted.Groups[1].Value} fds for {missing.Count} missing");
    }
}
