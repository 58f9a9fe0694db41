using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Sockets in a network namespace no process is in (issue 14): a process that unshares a namespace,
/// makes sockets there and setns's back, holding the namespace by an fd or only by its sockets; and
/// a socket received over SCM_RIGHTS from a child in another namespace that has exited.
/// </summary>
public class HeldNamespaceTests
{
    /// <summary>Python 3.11 has no os.unshare/os.setns: ctypes. The scripts are single-threaded, so /proc/self is the thread that moves.</summary>
    internal const string NetnsHelpers = """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        CLONE_NEWNET = 0x40000000
        def enter_new_netns():
            home = os.open("/proc/self/ns/net", os.O_RDONLY)
            if libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            return home
        def go_home(home):
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            os.close(home)
        def netns():
            return os.stat("/proc/self/ns/net").st_ino
        """;

    /// <summary>argv[2] is 1 to keep an fd of the namespace, 0 to leave it held only by its sockets.</summary>
    private const string HeldBySetnsBack = NetnsHelpers + "\n" + """
        keep_fd = sys.argv[2] == "1"
        home = enter_new_netns()
        held = os.open("/proc/self/ns/net", os.O_RDONLY)
        ns = os.fstat(held).st_ino
        a, b = socket.socketpair()
        name = b"\0sockpeer-held-" + os.urandom(6).hex().encode()
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(name)
        srv.listen(5)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        acc, _ = srv.accept()
        d1, d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        go_home(home)
        if not keep_fd:
            os.close(held)
        ready(ns=ns, host_netns=netns(), a=ino(a), b=ino(b), a_fd=a.fileno(), b_fd=b.fileno(), listener=ino(srv), listener_fd=srv.fileno(),
              client=ino(c), client_fd=c.fileno(), accepted=ino(acc), accepted_fd=acc.fileno(), d1=ino(d1), d1_fd=d1.fileno(), d2=ino(d2), d2_fd=d2.fileno())
        hold()
        """;

    /// <summary>A child unshares, makes a stream pair and a listener with a pending client, sends them all over SCM_RIGHTS and exits.</summary>
    internal const string ReceivedFromExitedChild = NetnsHelpers + "\n" + """
        parent_end, child_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            parent_end.close()
            enter_new_netns()
            x, y = socket.socketpair()
            name = b"\0sockpeer-gone-" + os.urandom(6).hex().encode()
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(name)
            srv.listen(5)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(name)
            info = json.dumps(dict(ns=netns(), x=ino(x), y=ino(y), listener=ino(srv), client=ino(c))).encode()
            send_fds(child_end, [x.fileno(), y.fileno(), srv.fileno(), c.fileno()], info)
            os._exit(0)
        child_end.close()
        msg, anc, _, _ = parent_end.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
        fds = array.array("i")
        for level, kind, data in anc:
            fds.frombytes(data[:len(data) - (len(data) % 4)])
        os.waitpid(pid, 0)
        info = json.loads(msg)
        ready(child=pid, x_fd=fds[0], y_fd=fds[1], listener_fd=fds[2], client_fd=fds[3], host_netns=netns(), **info)
        hold()
        """;

    private static Scenario StartHeld(bool keepFd) => Scenario.Start(HeldBySetnsBack.Replace("sys.argv[2] == \"1\"", keepFd ? "True" : "False", StringComparison.Ordinal));

    private static void AssertHeldSockets(SocketInventory inventory, Scenario s)
    {
        ulong ns = s.Info.GetProperty("ns").GetUInt64();
        Assert.NotEqual(s.Info.GetProperty("host_netns").GetUInt64(), ns);
        foreach (string name in new[] { "a", "b", "listener", "client", "accepted", "d1", "d2" })
        {
            var socket = inventory.Find(s.Inode(name));
            Assert.True(socket is not null, $"{name} ({s.Inode(name)}) is missing");
            Assert.Equal(ns, socket.NetNs);
            Assert.Contains(new SocketHolder(s.Pid, s.Int(name + "_fd")), socket.Holders);
        }
        Assert.Equal(s.Inode("b"), inventory.Find(s.Inode("a"))!.Peer);
        Assert.True(inventory.Find(s.Inode("a"))!.IsSocketPair);
        Assert.Equal(s.Inode("d2"), inventory.Find(s.Inode("d1"))!.Peer);
        var accepted = inventory.Find(s.Inode("accepted"))!;
        Assert.Equal(s.Inode("client"), accepted.Peer);
        Assert.Equal(s.Inode("listener"), accepted.Listener);
        Assert.Equal(UnixSocketState.Listening, inventory.Find(s.Inode("listener"))!.State);
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code is WarningCode.SocketsInNoDump or WarningCode.NamespaceNotDumped);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Library_finds_every_socket_of_a_namespace_no_process_is_in(bool keepFd)
    {
        Ns.RequireRoot();
        using var s = StartHeld(keepFd);
        AssertHeldSockets(new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read(), s);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void List_and_peer_show_them(bool keepFd)
    {
        Ns.RequireRoot();
        using var s = StartHeld(keepFd);
        ulong ns = s.Info.GetProperty("ns").GetUInt64();

        var result = SockpeerCli.Run("list", "--pid", s.Pid.ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();
        foreach (string name in new[] { "a", "b", "listener", "client", "accepted", "d1", "d2" })
        {
            var socket = list.Socket(s.Inode(name));
            Assert.Equal(ns, socket.GetProperty("netns").GetUInt64());
            Assert.Contains((s.Pid, s.Int(name + "_fd")), socket.Holders());
        }
        Assert.Equal(s.Inode("listener"), list.Socket(s.Inode("accepted")).NullableUInt("listener"));

        var peer = SockpeerCli.Json("peer", s.Pid.ToString(), s.Int("client_fd").ToString());
        Assert.Equal(s.Inode("accepted"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(s.Inode("listener"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());
        var pair = SockpeerCli.Json("peer", s.Pid.ToString(), s.Int("a_fd").ToString());
        Assert.Equal(s.Inode("b"), pair.GetProperty("peer").GetProperty("inode").GetUInt32());
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Netns_option_takes_the_inode_of_a_namespace_no_process_is_in(bool keepFd)
    {
        Ns.RequireRoot();
        using var s = StartHeld(keepFd);
        ulong ns = s.Info.GetProperty("ns").GetUInt64();

        var result = SockpeerCli.Run("list", "--netns", ns.ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();
        Assert.All(list.GetProperty("sockets").EnumerateArray(), x => Assert.Equal(ns, x.GetProperty("netns").GetUInt64()));
        var inodes = list.GetProperty("sockets").EnumerateArray().Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet();
        Assert.Superset(new[] { "a", "b", "listener", "client", "accepted", "d1", "d2" }.Select(s.Inode).ToHashSet(), inodes);
        Assert.Equal(s.Inode("client"), list.Socket(s.Inode("accepted")).NullableUInt("peer"));
    }

    [SkippableFact]
    public void Socket_received_from_a_child_in_a_namespace_it_left_by_exiting()
    {
        Ns.RequireRoot();
        using var s = Scenario.Start(ReceivedFromExitedChild);
        ulong ns = s.Info.GetProperty("ns").GetUInt64();
        Assert.NotEqual(s.Info.GetProperty("host_netns").GetUInt64(), ns);
        Assert.False(Directory.Exists($"/proc/{s.Int("child")}"), "the child should have exited and been reaped");

        var list = SockpeerCli.Json("list", "--pid", s.Pid.ToString());
        foreach (string name in new[] { "x", "y", "listener", "client" })
        {
            var socket = list.Socket(s.Inode(name));
            Assert.Equal(ns, socket.GetProperty("netns").GetUInt64());
            Assert.Contains((s.Pid, s.Int(name + "_fd")), socket.Holders());
        }
        Assert.Equal(s.Inode("listener"), list.Socket(s.Inode("client")).NullableUInt("pendingOn"));
        Assert.Equal([s.Inode("client")], list.Socket(s.Inode("listener")).Inodes("pending"));
        Assert.DoesNotContain(list.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("found in no sock_diag dump", StringComparison.Ordinal));

        var peer = SockpeerCli.Json("peer", s.Pid.ToString(), s.Int("x_fd").ToString());
        Assert.Equal(s.Inode("y"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());

        var only = SockpeerCli.Json("list", "--netns", ns.ToString());
        Assert.Equal(new[] { "x", "y", "listener", "client" }.Select(s.Inode).Order(),
            only.GetProperty("sockets").EnumerateArray().Select(x => x.GetProperty("inode").GetUInt32()).Order());
    }

    /// <summary>`unshare --net=FILE` bind-mounts the namespace on a file outside /run/netns; no process is left in it.</summary>
    [SkippableFact]
    public void Namespace_bind_mounted_outside_run_netns_is_found()
    {
        Ns.RequireRoot();
        string dir = Directory.CreateTempSubdirectory("sockpeer-nsmount-").FullName;
        string file = Path.Combine(dir, "net");
        File.WriteAllBytes(file, []);
        try
        {
            var made = Ns.Run("unshare", $"--net={file}", "true");
            Assert.True(made.ExitCode == 0, made.Stderr);
            ulong inode = Ns.Inode(file);
            var found = NetNsDiscovery.Discover();
            try
            {
                Assert.Single(found, h => h.Inode == inode);
            }
            finally
            {
                found.ForEach(h => h.Dispose());
            }
            var list = SockpeerCli.Run("list", "--netns", inode.ToString(), "--json");
            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Equal(0, list.Json().GetProperty("sockets").GetArrayLength());
        }
        finally
        {
            // Lazy: another process's namespace discovery may hold the mount open for a moment.
            Ns.Run("umount", "--lazy", file);
            Directory.Delete(dir, recursive: true);
        }
    }
}
