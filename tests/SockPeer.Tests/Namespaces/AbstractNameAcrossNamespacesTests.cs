using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Abstract names are per network namespace: the same name bound in the host and in a new
/// namespace are two listeners, and each accepted socket belongs to the listener of its own namespace.
/// </summary>
public class AbstractNameAcrossNamespacesTests
{
    private const string SameAbstractNameTwice = """
        name = b"\0sockpeer-test-" + os.urandom(6).hex().encode()
        def pair(name):
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(name)
            srv.listen(8)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(name)
            acc, _ = srv.accept()
            return srv, c, acc
        srv, c, acc = pair(name)
        rep = spawn(["unshare", "--net"], r'''
        name = bytes.fromhex(sys.argv[1])
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(name)
        srv.listen(8)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        acc, _ = srv.accept()
        report(listener=ino(srv), client=ino(c), accepted=ino(acc))
        hold()
        ''', name.hex())
        ready(name="@" + name[1:].decode(), host_netns=netns_of(os.getpid()),
              host_listener=ino(srv), host_client=ino(c), host_accepted=ino(acc),
              ns_netns=rep["netns"], ns_pid=rep["pid"], ns_listener=rep["listener"], ns_client=rep["client"], ns_accepted=rep["accepted"])
        hold()
        """;

    [SkippableFact]
    public void Library_keeps_each_accepted_socket_with_the_listener_of_its_namespace()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.Start(SameAbstractNameTwice);
        ulong hostNs = scenario.Info.GetProperty("host_netns").GetUInt64();
        ulong otherNs = scenario.Info.GetProperty("ns_netns").GetUInt64();
        Assert.NotEqual(hostNs, otherNs);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        foreach (var (prefix, netns) in new[] { ("host_", hostNs), ("ns_", otherNs) })
        {
            var listener = inventory.Find(scenario.Inode(prefix + "listener"))!;
            var accepted = inventory.Find(scenario.Inode(prefix + "accepted"))!;
            var client = inventory.Find(scenario.Inode(prefix + "client"))!;
            Assert.NotNull(listener);
            Assert.NotNull(accepted);
            Assert.NotNull(client);
            Assert.Equal(scenario.Str("name"), listener.Name);
            Assert.Equal(scenario.Str("name"), accepted.Name);
            Assert.True(listener.IsAbstract);
            Assert.Equal(UnixSocketState.Listening, listener.State);
            Assert.Equal(listener.Inode, accepted.Listener);
            Assert.Equal(client.Inode, accepted.Peer);
            Assert.Equal(accepted.Inode, client.Peer);
            Assert.Equal(netns, listener.NetNs);
            Assert.Equal(netns, accepted.NetNs);
            Assert.Equal(netns, client.NetNs);
        }
    }

    [SkippableFact]
    public void Cli_json_keeps_each_accepted_socket_with_the_listener_of_its_namespace()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.Start(SameAbstractNameTwice);

        var list = SockpeerCli.Json("list");

        foreach (var prefix in new[] { "host_", "ns_" })
        {
            var accepted = list.Socket(scenario.Inode(prefix + "accepted"));
            Assert.Equal(scenario.Inode(prefix + "listener"), accepted.NullableUInt("listener"));
            Assert.Equal(scenario.Inode(prefix + "client"), accepted.NullableUInt("peer"));
            Assert.Equal(scenario.Info.GetProperty(prefix + "netns").GetUInt64(), accepted.GetProperty("netns").GetUInt64());
            Assert.Equal(scenario.Str("name"), list.Socket(scenario.Inode(prefix + "listener")).GetProperty("name").GetString());
        }

        // peer from the namespaced client lands on its own namespace's listener, not the host's.
        var peer = SockpeerCli.Json("peer", scenario.Inode("ns_client").ToString());
        Assert.Equal(scenario.Inode("ns_accepted"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("ns_listener"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());
    }
}
