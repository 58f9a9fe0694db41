using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A datagram server on a path, two connected clients in child processes, one unconnected socket.</summary>
public class DatagramServerTests
{
    /// <summary>A datagram server on dgram.sock, two clients each in a forked child, and an unconnected datagram socket.</summary>
    private static SocketScene DatagramServer() => SocketScene.Build()
        .Bind("dgram")
        .Connect("dgram", clients: 2, heldBy: Holder.ChildEach)
        .Unbound("unconnected")
        .Start();

    [Fact]
    public void Library_points_clients_at_the_server_and_lists_them_on_it()
    {
        using var scene = DatagramServer();

        var inventory = new SocketInventoryReader().Read();

        var server = inventory.Find(scene.Inode("dgram"))!;
        var unconnected = inventory.Find(scene.Inode("unconnected"))!;
        Assert.Equal(UnixSocketType.Dgram, server.Type);
        Assert.Null(server.Peer);
        Assert.Null(server.Listener);
        Assert.Equal(new[] { scene.Inode("dgram.client0"), scene.Inode("dgram.client1") }.Order(), server.Clients.Order());
        Assert.Equal(scene.Socket("dgram").Path!, server.Name);
        Assert.Equal(SocketFileStatus.Ok, server.File!.Status);
        foreach (var c in new[] { "dgram.client0", "dgram.client1" })
        {
            var client = inventory.Find(scene.Inode(c))!;
            Assert.Equal(UnixSocketType.Dgram, client.Type);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Equal(server.Inode, client.Peer);
            Assert.Null(client.Listener);
            Assert.Empty(client.Clients);
            Assert.False(client.IsSocketPair);
            Assert.Equal([scene.Socket(c).Holder], client.Holders);
        }
        Assert.Equal(UnixSocketState.Unconnected, unconnected.State);
        Assert.Null(unconnected.Peer);
        Assert.Empty(unconnected.Clients);
        Assert.Equal([new SocketHolder(scene.Pid, scene.Socket("unconnected").Fd)], unconnected.Holders);
    }

    [Fact]
    public void Cli_json_lists_the_clients_on_the_server()
    {
        using var scene = DatagramServer();

        var list = SockpeerCli.ListOf(scene.Pid);

        var server = list.Socket(scene.Inode("dgram"));
        Assert.Equal("dgram", server.Str("type"));
        Assert.Null(server.NullableUInt("peer"));
        Assert.Equal(new[] { scene.Inode("dgram.client0"), scene.Inode("dgram.client1") }.Order(), server.Inodes("clients").Order());
        Assert.Equal(scene.Inode("dgram"), list.Socket(scene.Inode("dgram.client0")).NullableUInt("peer"));
        Assert.Equal(scene.Inode("dgram"), list.Socket(scene.Inode("dgram.client1")).NullableUInt("peer"));
        var unconnected = list.Socket(scene.Inode("unconnected"));
        Assert.Equal("unconnected", unconnected.Str("state"));
        Assert.Null(unconnected.NullableUInt("peer"));
    }

    [Fact]
    public void Who_lists_both_clients_as_connections_to_the_server()
    {
        using var scene = DatagramServer();

        var who = SockpeerCli.Who(scene.Socket("dgram").Path!);

        Assert.Equal([scene.Inode("dgram")], who.GetProperty("listeners").InodesOf());
        Assert.Empty(who.GetProperty("stale").EnumerateArray());
        var connections = who.GetProperty("connections").EnumerateArray().ToArray();
        Assert.Equal(2, connections.Length);
        Assert.All(connections, c => Assert.Equal(scene.Inode("dgram"), c.GetProperty("server").GetProperty("inode").GetUInt32()));
        Assert.Equal(new[] { scene.Inode("dgram.client0"), scene.Inode("dgram.client1") }.Order(),
            connections.Select(c => c.GetProperty("client").GetProperty("inode").GetUInt32()).Order());
        var pids = who.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet();
        Assert.Contains(scene.Socket("dgram.client0").Pid, pids);
        Assert.Contains(scene.Socket("dgram.client1").Pid, pids);
    }
}
