using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>Three clients (in a child process) wait on a listener that never accepts.</summary>
public class PendingConnectionTests
{
    private static SocketScene NeverAccepts() => SocketScene.Build()
        .Listen("pending", backlog: 8)
        .Connect("pending", clients: 3, heldBy: Holder.Child)
        .Start();

    [Fact]
    public void Library_lists_the_waiting_clients_on_the_listener()
    {
        using var scene = NeverAccepts();
        var waiting = scene.Pending("pending");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scene.Socket("pending").Inode)!;
        uint[] clients = [.. waiting.Select(c => c.Inode)];
        Assert.Equal(3, clients.Distinct().Count());
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(3u, listener.PendingCount);
        Assert.Equal(8u, listener.Backlog);
        Assert.False(listener.PendingPartial);
        Assert.Equal(clients.Order(), listener.Pending.Order());
        Assert.Null(listener.Peer);
        for (int i = 0; i < clients.Length; i++)
        {
            var client = inventory.Find(clients[i])!;
            Assert.Equal(listener.Inode, client.PendingOn);
            Assert.Null(client.Peer);
            Assert.Null(client.Listener);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Equal([new SocketHolder(waiting[i].Pid, waiting[i].Fd)], client.Holders);
        }
    }

    [Fact]
    public void Cli_json_lists_the_waiting_clients_on_the_listener()
    {
        using var scene = NeverAccepts();
        var waiting = scene.Pending("pending");
        var list = SockpeerCli.ListOf(scene.Pid);

        var listener = list.Socket(scene.Socket("pending").Inode);
        uint[] clients = [.. waiting.Select(c => c.Inode)];
        Assert.Equal(3u, listener.NullableUInt("pendingCount"));
        Assert.Equal(8u, listener.NullableUInt("backlog"));
        Assert.False(listener.Bool("pendingPartial"));
        Assert.Equal(clients.Order(), listener.Inodes("pending").Order());
        foreach (uint c in clients)
        {
            var client = list.Socket(c);
            Assert.Equal(scene.Socket("pending").Inode, client.NullableUInt("pendingOn"));
            Assert.Null(client.NullableUInt("peer"));
        }
    }

    [Fact]
    public void Who_lists_the_waiting_clients_as_pending()
    {
        using var scene = NeverAccepts();
        var waiting = scene.Pending("pending");
        var who = SockpeerCli.Who(scene.Socket("pending").Path!);

        Assert.Equal([scene.Socket("pending").Inode], who.GetProperty("listeners").InodesOf());
        Assert.Empty(who.GetProperty("connections").EnumerateArray());
        Assert.Equal(waiting.Select(c => c.Inode).Order(), who.GetProperty("pending").InodesOf().Order());
    }
}
