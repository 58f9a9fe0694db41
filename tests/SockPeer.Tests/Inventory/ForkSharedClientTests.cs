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
        [(s.Pid, s.Socket("server.client0").Fd), (s.Socket("shared").Pid, s.Socket("shared").Fd)];

    [Fact]
    public void Library_lists_both_holders_and_the_accepted_peer()
    {
        using var scene = SharedClient();

        var inventory = new SocketInventoryReader().Read();

        var client = inventory.Find(scene.Inode("server.client0"))!;
        var accepted = inventory.Find(scene.Inode("server.accepted0"))!;
        Assert.NotEqual(scene.Pid, scene.Socket("shared").Pid);
        Assert.Equal(ClientHolders(scene), client.Holders.Select(h => (h.Pid, h.Fd)).ToHashSet());
        Assert.Equal(2, client.Holders.Count);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(scene.Inode("server"), accepted.Listener);
        Assert.Equal([new SocketHolder(scene.Pid, scene.Socket("server.accepted0").Fd)], accepted.Holders);
        Assert.False(client.IsSocketPair);
        Assert.Equal(UnixSocketState.Connected, client.State);
        Assert.NotNull(inventory.FindProcess(scene.Socket("shared").Pid));
        Assert.Equal(scene.Pid, inventory.FindProcess(scene.Socket("shared").Pid)!.PPid);
    }

    [Fact]
    public void Cli_json_lists_both_holders_and_the_accepted_peer()
    {
        using var scene = SharedClient();

        var list = SockpeerCli.ListOf(scene.Pid);

        var client = list.Socket(scene.Inode("server.client0"));
        var accepted = list.Socket(scene.Inode("server.accepted0"));
        Assert.Equal(ClientHolders(scene), client.Holders());
        Assert.Equal(2, client.GetProperty("holders").GetArrayLength());
        Assert.Equal(scene.Inode("server.accepted0"), client.NullableUInt("peer"));
        Assert.Equal(scene.Inode("server.client0"), accepted.NullableUInt("peer"));
        Assert.Equal(scene.Inode("server"), accepted.NullableUInt("listener"));
        Assert.Equal([(scene.Pid, scene.Socket("server.accepted0").Fd)], accepted.Holders());
        Assert.Contains(list.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Socket("shared").Pid);
    }
}
