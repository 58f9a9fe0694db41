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
        var server = scene.Socket("dgram");
        var c1 = scene.Connections("dgram")[0].Client;
        var c2 = scene.Connections("dgram")[1].Client;
        var unconnected = scene.Socket("unconnected");
        var inventory = new SocketInventoryReader().Read();

        var serverSocket = inventory.Find(server.Inode)!;
        var unconnectedSocket = inventory.Find(unconnected.Inode)!;
        Assert.Equal(UnixSocketType.Dgram, serverSocket.Type);
        Assert.Null(serverSocket.Peer);
        Assert.Null(serverSocket.Listener);
        Assert.Equal(new[] { c1.Inode, c2.Inode }.Order(), serverSocket.Clients.Order());
        Assert.Equal(server.Path, serverSocket.Name);
        Assert.Equal(SocketFileStatus.Ok, serverSocket.File!.Status);
        foreach (var c in new[] { c1, c2 })
        {
            var client = inventory.Find(c.Inode)!;
            Assert.Equal(UnixSocketType.Dgram, client.Type);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Equal(serverSocket.Inode, client.Peer);
            Assert.Null(client.Listener);
            Assert.Empty(client.Clients);
            Assert.False(client.IsSocketPair);
            Assert.Equal([c.Holder], client.Holders);
        }
        Assert.Equal(UnixSocketState.Unconnected, unconnectedSocket.State);
        Assert.Null(unconnectedSocket.Peer);
        Assert.Empty(unconnectedSocket.Clients);
        Assert.Equal([new SocketHolder(scene.Pid, unconnected.Fd)], unconnectedSocket.Holders);
    }

    [Fact]
    public void Cli_json_lists_the_clients_on_the_server()
    {
        using var scene = DatagramServer();
        var server = scene.Socket("dgram");
        var c1 = scene.Connections("dgram")[0].Client;
        var c2 = scene.Connections("dgram")[1].Client;
        var unconnected = scene.Socket("unconnected");
        var list = SockpeerCli.ListOf(scene.Pid);

        var serverJson = list.Socket(server.Inode);
        Assert.Equal("dgram", serverJson.Str("type"));
        Assert.Null(serverJson.NullableUInt("peer"));
        Assert.Equal(new[] { c1.Inode, c2.Inode }.Order(), serverJson.Inodes("clients").Order());
        Assert.Equal(server.Inode, list.Socket(c1.Inode).NullableUInt("peer"));
        Assert.Equal(server.Inode, list.Socket(c2.Inode).NullableUInt("peer"));
        var unconnectedJson = list.Socket(unconnected.Inode);
        Assert.Equal("unconnected", unconnectedJson.Str("state"));
        Assert.Null(unconnectedJson.NullableUInt("peer"));
    }

    [Fact]
    public void Who_lists_both_clients_as_connections_to_the_server()
    {
        using var scene = DatagramServer();
        var server = scene.Socket("dgram");
        var c1 = scene.Connections("dgram")[0].Client;
        var c2 = scene.Connections("dgram")[1].Client;
        var unconnected = scene.Socket("unconnected");
        var who = SockpeerCli.Who(server.Path!);

        Assert.Equal([server.Inode], who.GetProperty("listeners").InodesOf());
        Assert.Empty(who.GetProperty("stale").EnumerateArray());
        var connections = who.GetProperty("connections").EnumerateArray().ToArray();
        Assert.Equal(2, connections.Length);
        Assert.All(connections, c => Assert.Equal(server.Inode, c.GetProperty("server").GetProperty("inode").GetUInt32()));
        Assert.Equal(new[] { c1.Inode, c2.Inode }.Order(),
            connections.Select(c => c.GetProperty("client").GetProperty("inode").GetUInt32()).Order());
        var pids = who.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet();
        Assert.Contains(c1.Pid, pids);
        Assert.Contains(c2.Pid, pids);
    }
}
