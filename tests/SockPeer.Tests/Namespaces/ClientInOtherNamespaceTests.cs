using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// A client in a new network namespace (unshare --net) connected to a listener on a host path. The
/// accepted socket is held by the host server but lives in the client's namespace, so only a join
/// of both namespaces' dumps shows the connection.
/// </summary>
public class ClientInOtherNamespaceTests
{
    private static SocketScene HostListenerWithNamespacedClient() => SocketScene.Build()
        .Listen("host", backlog: 8)
        .Connect("host", heldBy: Holder.ChildInNewNetNs, accept: 1)
        .Start();

    /// <summary>The client connects but the server never accepts: it waits in the host listener's queue.</summary>
    private static SocketScene HostListenerWithPendingNamespacedClient() => SocketScene.Build()
        .Listen("host", backlog: 8)
        .Connect("host", heldBy: Holder.ChildInNewNetNs)
        .Start();

    /// <summary>A datagram client in another namespace connected to a host datagram socket by path.</summary>
    private static SocketScene HostDatagramServerWithNamespacedClient() => SocketScene.Build()
        .Bind("host", file: "dgram.sock")
        .Connect("host", heldBy: Holder.ChildInNewNetNs)
        .Start();

    [SkippableFact]
    public void Datagram_client_in_another_namespace_is_a_client_of_the_host_server()
    {
        Ns.RequireRoot();
        using var scene = HostDatagramServerWithNamespacedClient();


        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        var server = inventory.Find(scene.Inode("host"))!;
        var client = inventory.Find(scene.Inode("host.client0"))!;
        Assert.Equal(server.Inode, client.Peer);
        Assert.Contains(client.Inode, server.Clients);
        Assert.Equal(scene.Socket("host.client0").NetNs, client.NetNs);
        Assert.Equal(scene.Socket("host").NetNs, server.NetNs);

        var who = SockpeerCli.Json("who", scene.Socket("host").Path!);
        var connection = Assert.Single(who.GetProperty("connections").EnumerateArray());
        Assert.Equal(scene.Inode("host.client0"), connection.GetProperty("client").GetProperty("inode").GetUInt32());
    }

    [SkippableFact]
    public void Library_joins_the_client_in_another_namespace_with_the_host_listener()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();

        ulong clientNs = scene.Socket("host.client0").NetNs;
        ulong hostNs = scene.Socket("host").NetNs;
        Assert.NotEqual(hostNs, clientNs);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        var listener = inventory.Find(scene.Inode("host"))!;
        var accepted = inventory.Find(scene.Inode("host.accepted0"));
        var client = inventory.Find(scene.Inode("host.client0"));
        Assert.NotNull(accepted);
        Assert.NotNull(client);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Null(client.Listener);
        // The accepted socket lives in the client's namespace, though the host server holds it.
        Assert.Equal(clientNs, client.NetNs);
        Assert.Equal(clientNs, accepted.NetNs);
        Assert.Equal(hostNs, listener.NetNs);
        Assert.Contains(new SocketHolder(scene.Pid, scene.Socket("host.accepted0").Fd), accepted.Holders);
        Assert.Contains(new SocketHolder(scene.Socket("host.client0").Pid, scene.Socket("host.client0").Fd), client.Holders);
        Assert.Equal(clientNs, inventory.FindProcess(scene.Socket("host.client0").Pid)!.NetNs);
        Assert.Equal(hostNs, inventory.FindProcess(scene.Pid)!.NetNs);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("could not be entered", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Library_current_scope_misses_the_client_and_the_accepted_socket()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();


        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        // Documented limitation of the narrow scope: both ends of the connection live in the
        // client's namespace, so only the host listener is seen.
        Assert.NotNull(inventory.Find(scene.Inode("host")));
        Assert.Null(inventory.Find(scene.Inode("host.client0")));
        Assert.Null(inventory.Find(scene.Inode("host.accepted0")));
    }

    [SkippableFact]
    public void Cli_list_json_covers_all_namespaces_by_default()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();

        ulong clientNs = scene.Socket("host.client0").NetNs;
        ulong hostNs = scene.Socket("host").NetNs;

        var result = SockpeerCli.Run("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();

        var listener = list.Socket(scene.Inode("host"));
        var accepted = list.Socket(scene.Inode("host.accepted0"));
        var client = list.Socket(scene.Inode("host.client0"));
        Assert.Equal(scene.Inode("host.client0"), accepted.NullableUInt("peer"));
        Assert.Equal(scene.Inode("host.accepted0"), client.NullableUInt("peer"));
        Assert.Equal(scene.Inode("host"), accepted.NullableUInt("listener"));
        Assert.Equal(clientNs, client.GetProperty("netns").GetUInt64());
        Assert.Equal(clientNs, accepted.GetProperty("netns").GetUInt64());
        Assert.Equal(hostNs, listener.GetProperty("netns").GetUInt64());
        Assert.Equal("ok", listener.GetProperty("file").GetProperty("status").GetString());
        Assert.Contains((scene.Socket("host.client0").Pid, scene.Socket("host.client0").Fd), client.Holders());
        Assert.Contains((scene.Pid, scene.Socket("host.accepted0").Fd), accepted.Holders());
        var process = list.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == scene.Socket("host.client0").Pid);
        Assert.Equal(clientNs, process.GetProperty("netns").GetUInt64());
    }

    [SkippableFact]
    public void Cli_who_path_lists_the_connection_with_the_client_holder()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();


        var result = SockpeerCli.Run("who", scene.Socket("host").Path!, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        var who = result.Json();

        Assert.Equal(scene.Inode("host"), who.GetProperty("listeners").EnumerateArray().Single().GetProperty("inode").GetUInt32());
        var connection = Assert.Single(who.GetProperty("connections").EnumerateArray());
        Assert.Equal(scene.Inode("host.accepted0"), connection.GetProperty("server").GetProperty("inode").GetUInt32());
        var client = connection.GetProperty("client");
        Assert.Equal(scene.Inode("host.client0"), client.GetProperty("inode").GetUInt32());
        Assert.Contains((scene.Socket("host.client0").Pid, scene.Socket("host.client0").Fd), client.Holders());
        Assert.Contains(who.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Socket("host.client0").Pid);

        var human = SockpeerCli.Run("who", scene.Socket("host").Path!);
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"[{scene.Socket("host.client0").Pid}]:{scene.Socket("host.client0").Fd}", human.Stdout);
    }

    [SkippableFact]
    public void Cli_peer_of_the_namespaced_client_resolves_the_host_server()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();


        var result = SockpeerCli.Run("peer", scene.Socket("host.client0").Pid.ToString(), scene.Socket("host.client0").Fd.ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "peer");
        var doc = result.Json();
        Assert.Equal(scene.Inode("host.client0"), doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(scene.Inode("host.accepted0"), doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scene.Inode("host"), doc.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Contains((scene.Pid, scene.Socket("host.accepted0").Fd), doc.GetProperty("peer").Holders());
        Assert.Contains(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Pid);
    }

    [SkippableFact]
    public void Cli_current_scope_does_not_see_the_namespaced_client()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithNamespacedClient();


        var list = SockpeerCli.Json("list", "--netns", "current");
        uint client = scene.Inode("host.client0");
        uint accepted = scene.Inode("host.accepted0");
        var inodes = list.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()).ToHashSet();
        Assert.Contains(scene.Inode("host"), inodes);
        Assert.DoesNotContain(client, inodes);
        Assert.DoesNotContain(accepted, inodes);

        var peer = SockpeerCli.Run("peer", scene.Socket("host.client0").Pid.ToString(), scene.Socket("host.client0").Fd.ToString(), "--netns", "current");
        Assert.Equal(1, peer.ExitCode);
        Assert.Single(Ns.Lines(peer.Stderr));
        Assert.Contains("namespaces covered", peer.Stderr);
        Ns.NoStackTrace(peer);
    }

    /// <summary>
    /// A listener alone in a new namespace whose three pending clients connected and closed before
    /// being accepted: the kernel still counts each closed client (the pending server half holds it)
    /// besides the server half, and neither is dumped. The namespace holds nothing else, so the count
    /// check is exact there.
    /// </summary>
    private static SocketScene ListenerWithClosedPendingClientsInItsOwnNamespace()
    {
        var scene = SocketScene.Build()
            .InNewNetNs()
            .Listen("host", backlog: 8, abstractName: System.Text.Encoding.ASCII.GetBytes(Ns.UniqueName("closed")))
            .Connect("host", clients: 3);
        for (int i = 0; i < 3; i++)
        {
            scene.Close($"host.client{i}");
        }
        return scene.Start();
    }

    [SkippableFact]
    public void Pending_clients_that_closed_are_not_reported_as_missing_sockets()
    {
        Ns.RequireRoot();
        using var scene = ListenerWithClosedPendingClientsInItsOwnNamespace();

        ulong ns = scene.Socket("host").NetNs;

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        var listener = inventory.Find(scene.Inode("host"))!;
        Assert.Equal(3u, listener.PendingCount);
        Assert.Empty(listener.Pending);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal) && w.Contains($"network namespace {ns}", StringComparison.Ordinal));

        var alone = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = ns.ToString() }).Read();
        Assert.Equal(listener.Inode, Assert.Single(alone.Sockets).Inode);
        Assert.DoesNotContain(alone.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Pending_client_in_another_namespace_waits_on_the_host_listener_and_counts_add_up()
    {
        Ns.RequireRoot();
        using var scene = HostListenerWithPendingNamespacedClient();

        ulong clientNs = scene.Socket("host.client0").NetNs;

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        var listener = inventory.Find(scene.Inode("host"))!;
        var client = inventory.Find(scene.Inode("host.client0"))!;
        Assert.Equal(listener.Inode, client.PendingOn);
        Assert.Contains(client.Inode, listener.Pending);
        Assert.Equal(1u, listener.PendingCount);
        Assert.Equal(clientNs, client.NetNs);
        // The not yet accepted server half is counted by the kernel in the client's namespace; the
        // count check must not call that a socket missing from the client namespace's dump. (Other
        // namespaces, the host's above all, may have shortfalls of their own on a busy machine.)
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal) && w.Contains($"network namespace {clientNs}", StringComparison.Ordinal));
    }
}
