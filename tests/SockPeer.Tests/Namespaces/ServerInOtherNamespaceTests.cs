using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// A server in a named network namespace (ip netns exec, which also gives it its own mount
/// namespace) listening on a path in a directory the host shares, and a host client. The accepted
/// socket is held by the server but lives in the host's namespace, the client's.
/// </summary>
public class ServerInOtherNamespaceTests
{
    private const string NamespacedServerWithHostClient = """
        path = os.path.join(sys.argv[1], "ns-server.sock")
        server = start(["ip", "netns", "exec", NS_NAME], r'''
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sys.argv[1])
        srv.listen(8)
        acc, _ = srv.accept()
        report(listener=ino(srv), listener_fd=srv.fileno(), accepted=ino(acc), accepted_fd=acc.fileno())
        hold()
        ''', path)
        c = connect_when_listening(path)
        rep = wait_report(server)
        ready(path=path, client_pid=os.getpid(), client=ino(c), client_fd=c.fileno(), host_netns=netns_of(os.getpid()),
              server_pid=rep["pid"], server_netns=rep["netns"], listener=rep["listener"], listener_fd=rep["listener_fd"],
              accepted=rep["accepted"], accepted_fd=rep["accepted_fd"])
        hold()
        """;

    private static Scenario Start(NamedNetNs ns)
        => NsScripts.Start(NamespacedServerWithHostClient.Replace("NS_NAME", $"\"{ns.Name}\"", StringComparison.Ordinal));

    [SkippableFact]
    public void Library_joins_the_host_client_with_the_namespaced_server()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);
        ulong hostNs = scenario.Info.GetProperty("host_netns").GetUInt64();
        Assert.Equal(ns.Inode, scenario.Info.GetProperty("server_netns").GetUInt64());

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        var listener = inventory.Find(scenario.Inode("listener"));
        var accepted = inventory.Find(scenario.Inode("accepted"));
        var client = inventory.Find(scenario.Inode("client"));
        Assert.NotNull(listener);
        Assert.NotNull(accepted);
        Assert.NotNull(client);
        Assert.Equal(ns.Inode, listener.NetNs);
        Assert.Equal(hostNs, accepted.NetNs);
        Assert.Equal(hostNs, client.NetNs);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Contains(new SocketHolder(scenario.Int("server_pid"), scenario.Int("listener_fd")), listener.Holders);
        Assert.Contains(new SocketHolder(scenario.Int("server_pid"), scenario.Int("accepted_fd")), accepted.Holders);
        Assert.Contains(new SocketHolder(scenario.Int("client_pid"), scenario.Int("client_fd")), client.Holders);
        // The server has its own mount namespace (ip netns exec): its path is checked in its view.
        Assert.Equal(SocketFileStatus.Ok, listener.File!.Status);
        Assert.Equal(scenario.Str("path"), listener.Name);
        Assert.Equal(ns.Inode, inventory.FindProcess(scenario.Int("server_pid"))!.NetNs);
    }

    [SkippableFact]
    public void Cli_list_who_and_peer_cross_into_the_server_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);
        ulong hostNs = scenario.Info.GetProperty("host_netns").GetUInt64();

        var list = SockpeerCli.Run("list", "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        SchemaAssert.Valid(list.Stdout, "list");
        var doc = list.Json();
        var listener = doc.Socket(scenario.Inode("listener"));
        var accepted = doc.Socket(scenario.Inode("accepted"));
        Assert.Equal(ns.Inode, listener.GetProperty("netns").GetUInt64());
        Assert.Equal(hostNs, accepted.GetProperty("netns").GetUInt64());
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("accepted"), doc.Socket(scenario.Inode("client")).NullableUInt("peer"));

        var who = SockpeerCli.Json("who", scenario.Str("path"));
        Assert.Equal(scenario.Inode("listener"), Assert.Single(who.GetProperty("listeners").EnumerateArray()).GetProperty("inode").GetUInt32());
        var connection = Assert.Single(who.GetProperty("connections").EnumerateArray());
        Assert.Equal(scenario.Inode("accepted"), connection.GetProperty("server").GetProperty("inode").GetUInt32());
        Assert.Contains((scenario.Int("server_pid"), scenario.Int("accepted_fd")), connection.GetProperty("server").Holders());
        Assert.Contains((scenario.Int("client_pid"), scenario.Int("client_fd")), connection.GetProperty("client").Holders());

        var peer = SockpeerCli.Json("peer", scenario.Int("client_pid").ToString(), scenario.Int("client_fd").ToString());
        Assert.Equal(scenario.Inode("accepted"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("listener"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Contains((scenario.Int("server_pid"), scenario.Int("accepted_fd")), peer.GetProperty("peer").Holders());

        // From the server's side: its accepted socket's peer is the host client.
        var back = SockpeerCli.Json("peer", scenario.Int("server_pid").ToString(), scenario.Int("accepted_fd").ToString());
        Assert.Equal(scenario.Inode("client"), back.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Contains((scenario.Int("client_pid"), scenario.Int("client_fd")), back.GetProperty("peer").Holders());
    }
}
