using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>SOCK_SEQPACKET listener, accepted socket and client (in a child process): joined like stream.</summary>
public class SeqPacketConnectionTests
{
    private static SocketScene SeqPacket() => SocketScene.Build()
        .Listen("seq", type: SceneType.SeqPacket)
        .Connect("seq", heldBy: Holder.Child, accept: 1)
        .Start();

    [Fact]
    public void Library_joins_seqpacket_like_stream()
    {
        using var scene = SeqPacket();
        var seq = scene.Socket("seq");
        var (client, accepted) = scene.Connection("seq");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(seq.Inode)!;
        var acceptedSocket = inventory.Find(accepted!.Inode)!;
        var clientSocket = inventory.Find(client.Inode)!;
        Assert.All(new[] { listener, acceptedSocket, clientSocket }, s => Assert.Equal(UnixSocketType.SeqPacket, s.Type));
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketState.Connected, acceptedSocket.State);
        Assert.Equal(UnixSocketState.Connected, clientSocket.State);
        Assert.Equal(clientSocket.Inode, acceptedSocket.Peer);
        Assert.Equal(acceptedSocket.Inode, clientSocket.Peer);
        Assert.Equal(listener.Inode, acceptedSocket.Listener);
        Assert.Null(listener.Peer);
        Assert.Null(clientSocket.Listener);
        Assert.Empty(acceptedSocket.Clients);
        Assert.False(acceptedSocket.IsSocketPair);
        Assert.Equal(seq.Path, acceptedSocket.Name);
        Assert.Equal(0u, listener.PendingCount);
        Assert.Equal(4u, listener.Backlog);
        Assert.Equal([new SocketHolder(scene.Pid, accepted.Fd)], acceptedSocket.Holders);
        Assert.Equal([client.Holder], clientSocket.Holders);
    }

    [Fact]
    public void Cli_json_joins_seqpacket_like_stream()
    {
        using var scene = SeqPacket();
        var seq = scene.Socket("seq");
        var (client, accepted) = scene.Connection("seq");
        var list = SockpeerCli.ListOf(scene.Pid);

        var listener = list.Socket(seq.Inode);
        var acceptedJson = list.Socket(accepted!.Inode);
        var clientJson = list.Socket(client.Inode);
        Assert.All(new[] { listener, acceptedJson, clientJson }, s => Assert.Equal("seqpacket", s.Str("type")));
        Assert.Equal("listening", listener.Str("state"));
        Assert.Equal(client.Inode, acceptedJson.NullableUInt("peer"));
        Assert.Equal(accepted.Inode, clientJson.NullableUInt("peer"));
        Assert.Equal(seq.Inode, acceptedJson.NullableUInt("listener"));
        Assert.Equal([(client.Pid, client.Fd)], clientJson.Holders());
    }
}
