using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A connected client socket inherited across fork(): one socket, two (pid, fd) holders.</summary>
public class ForkSharedClientTests
{
    // The parent connects and accepts, then forks; the child keeps only the client (same fd number).
    /// <summary>A connection made in one process, whose client a forked child then shares.</summary>
    private static SocketScene SharedClient() => SocketScene.Build()
        .Listen("server")
        .Connect("server", accept: 1)
        .ShareWithChild("server.client0", "shared")
        .Start();

    private static HashSet<(int, int)> ClientHolders(SocketScene s) =>
        [(s.Pid, s.Connection("server").Client.Fd), (s.Socket("shared").Pid, s.Socket("shared").Fd)];

    [Fact]
    public void Library_lists_both_holders_and_the_accepted_peer()
    {
        using var scene = SharedClient();
        var (client, accepted) = scene.Connection("server");
        var shared = scene.Socket("shared");
        var inventory = new SocketInventoryReader().Read();

        var clientSocket = inventory.Find(client.Inode)!;
        var acceptedSocket = inventory.Find(accepted!.Inode)!;
        Assert.NotEqual(scene.Pid, shared.Pid);
        Assert.Equal(ClientHolders(scene), clientSocket.Holders.Select(h => (h.Pid, h.Fd)).ToHashSet());
        Assert.Equal(2, clientSocket.Holders.Count);
        Assert.Equal(acceptedSocket.Inode, clientSocket.Peer);
        Assert.Equal(clientSocket.Inode, acceptedSocket.Peer);
        Assert.Equal(scene.Socket("server").Inode, acceptedSocket.Listener);
        Assert.Equal([new SocketHolder(scene.Pid, accepted!.Fd)], acceptedSocket.Holders);
        Assert.False(clientSocket.IsSocketPair);
        Assert.Equal(UnixSocketState.Connected, clientSocket.State);
        Assert.NotNull(inventory.FindProcess(shared.Pid));
        Assert.Equal(scene.Pid, inventory.FindProcess(shared.Pid)!.PPid);
    }

    [Fact]
    public void Cli_json_lists_both_holders_and_the_accepted_peer()
    {
        using var scene = SharedClient();
        var (client, accepted) = scene.Connection("server");
        var shared = scene.Socket("shared");
        var list = SockpeerCli.ListOf(scene.Pid);

        var clientJson = list.Socket(client.Inode);
        var acceptedJson = list.Socket(accepted!.Inode);
        Assert.Equal(ClientHolders(scene), clientJson.Holders());
        Assert.Equal(2, clientJson.GetProperty("holders").GetArrayLength());
        Assert.Equal(accepted.Inode, clientJson.NullableUInt("peer"));
        Assert.Equal(client.Inode, acceptedJson.NullableUInt("peer"));
        Assert.Equal(scene.Socket("server").Inode, acceptedJson.NullableUInt("listener"));
        Assert.Equal([(scene.Pid, accepted.Fd)], acceptedJson.Holders());
        Assert.Contains(list.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == shared.Pid);
    }
}
