using System.Text.Json;
using SockPeer.Endpoints;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// TCP endpoints (and a pipe) of a network namespace no process is in (issue 21): every family asked
/// for is dumped in every namespace source, not only in the namespaces of processes. The process
/// unshares a namespace, brings its loopback up, makes a TCP listener, a client and the accepted end
/// on 127.0.0.1 and a pipe, and setns's back; the namespace is then held by an fd it kept, only by
/// an AF_UNIX socket it made there, or only by the TCP sockets (each found by borrowing a socket).
/// </summary>
public class HeldNamespaceEndpointTests
{
    /// <summary>MODE "fd" keeps an fd of the namespace, "unix" leaves it held by an AF_UNIX pair and the TCP sockets, "tcp" by the TCP sockets alone.</summary>
    private const string TcpInHeldNamespace = HeldNamespaceTests.NetnsHelpers + "\n" + """
        import fcntl, struct
        def loopback_up():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            flags = struct.unpack("16sh22x", fcntl.ioctl(s, 0x8913, struct.pack("16sh22x", b"lo", 0)))[1]  # SIOCGIFFLAGS
            fcntl.ioctl(s, 0x8914, struct.pack("16sh22x", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP
            s.close()
        MODE = "fd"
        keep_fd = MODE == "fd"
        home = enter_new_netns()
        held = os.open("/proc/self/ns/net", os.O_RDONLY)
        ns = os.fstat(held).st_ino
        loopback_up()
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(5)
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(srv.getsockname())
        acc, _ = srv.accept()
        if MODE == "unix":
            ua, ub = socket.socketpair()
        go_home(home)
        if not keep_fd:
            os.close(held)
        r, w = os.pipe()
        ready(ns=ns, host_netns=netns(), listener=ino(srv), listener_fd=srv.fileno(), client=ino(c), client_fd=c.fileno(),
              accepted=ino(acc), accepted_fd=acc.fileno(), pipe=os.fstat(r).st_ino, pipe_r=r, pipe_w=w)
        hold()
        """;

    private static (int Pid, int Fd, string Access)[] Holders(JsonElement endpoint)
        => endpoint.GetProperty("holders").EnumerateArray()
            .Select(h => (h.GetProperty("pid").GetInt32(), h.GetProperty("fd").GetInt32(), h.GetProperty("access").GetString()!)).ToArray();

    [SkippableTheory]
    [InlineData("fd")]
    [InlineData("unix")]
    [InlineData("tcp")]
    public void List_kind_tcp_pipe_shows_the_tcp_endpoints_of_a_namespace_no_process_is_in(string mode)
    {
        Ns.RequireRoot();
        using var s = Scenario.Start(TcpInHeldNamespace.Replace("MODE = \"fd\"", $"MODE = \"{mode}\"", StringComparison.Ordinal));
        ulong ns = s.Info.GetProperty("ns").GetUInt64();
        Assert.NotEqual(s.Info.GetProperty("host_netns").GetUInt64(), ns);

        var result = SockpeerCli.Run("list", "--kind", "tcp,pipe", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var doc = result.Json();
        var connections = doc.GetProperty("endpoints").EnumerateArray().ToArray();

        JsonElement End(string name)
        {
            ulong id = s.Inode(name);
            var found = connections.SelectMany(c => c.GetProperty("ends").EnumerateArray()).Where(e => e.GetProperty("kind").GetString() == "tcp" && e.GetProperty("id").GetUInt64() == id).ToArray();
            Assert.True(found.Length > 0, $"the TCP {name} ({id}) in netns {ns} is missing from list --kind tcp,pipe; warnings: {doc.GetProperty("warnings")}");
            return found[0];
        }
        var listener = End("listener");
        Assert.Equal("listen", listener.GetProperty("state").GetString());
        foreach (string name in new[] { "listener", "client", "accepted" })
        {
            var end = End(name);
            Assert.Equal(ns, end.GetProperty("netns").GetUInt64());
            Assert.Contains((s.Pid, s.Int(name + "_fd"), "readwrite"), Holders(end));
        }
        var connection = Assert.Single(connections, c => c.GetProperty("kind").GetString() == "tcp" && c.GetProperty("ends").GetArrayLength() == 2
            && c.GetProperty("ends").EnumerateArray().Any(e => e.GetProperty("id").GetUInt64() == s.Inode("client")));
        Assert.Equal(new ulong[] { s.Inode("client"), s.Inode("accepted") }.Order(), connection.GetProperty("ends").EnumerateArray().Select(e => e.GetProperty("id").GetUInt64()).Order());
        Assert.Equal(s.Inode("listener"), connection.GetProperty("listener").GetProperty("id").GetUInt64());

        var pipe = Assert.Single(connections, c => c.GetProperty("kind").GetString() == "pipe" && c.GetProperty("ends")[0].GetProperty("id").GetUInt64() == s.Inode("pipe"));
        var pipeHolders = pipe.GetProperty("ends").EnumerateArray().SelectMany(Holders).ToArray();
        Assert.Contains((s.Pid, s.Int("pipe_w"), "write"), pipeHolders);
        Assert.Contains((s.Pid, s.Int("pipe_r"), "read"), pipeHolders);
        Assert.DoesNotContain(doc.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("could not be dumped", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("fd")]
    [InlineData("unix")]
    [InlineData("tcp")]
    public void Library_reads_the_tcp_endpoints_of_a_namespace_no_process_is_in(string mode)
    {
        Ns.RequireRoot();
        using var s = Scenario.Start(TcpInHeldNamespace.Replace("MODE = \"fd\"", $"MODE = \"{mode}\"", StringComparison.Ordinal));
        ulong ns = s.Info.GetProperty("ns").GetUInt64();

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All, Endpoints = EndpointKinds.Tcp | EndpointKinds.Pipe }).Read();
        Assert.NotNull(inventory.Endpoints);
        foreach (string name in new[] { "listener", "client", "accepted" })
        {
            var report = inventory.Endpoints.FindSocket(s.Inode(name));
            Assert.True(report is not null, $"the TCP {name} ({s.Inode(name)}) in netns {ns} is missing");
            Assert.Equal(ns, report.Endpoint.NetNs);
            Assert.Contains(report.Endpoint.Holders, h => h.Pid == s.Pid && h.Fd == s.Int(name + "_fd"));
        }
        Assert.Equal(s.Inode("accepted"), inventory.Endpoints.FindSocket(s.Inode("client"))!.Peer?.Id);
        Assert.Equal(s.Inode("listener"), inventory.Endpoints.FindSocket(s.Inode("client"))!.Listener?.Id);
        var pipe = inventory.Endpoints.FindFd(s.Pid, s.Int("pipe_w"));
        Assert.NotNull(pipe);
        Assert.Equal(EndpointKind.Pipe, pipe.Endpoint.Kind);
        Assert.Contains(pipe.Peer!.Holders, h => h.Pid == s.Pid && h.Fd == s.Int("pipe_r"));
    }
}
