using SockPeer.Diff;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Diff;

/// <summary>
/// SnapshotDiff over real snapshots: python processes connect, accept and close between two reads of
/// one kept <see cref="SocketInventoryReader"/>. Each step is complete when the driver answers, so the
/// second snapshot must show it. Other tests' sockets change too: only ours are looked at.
/// </summary>
public class SnapshotDiffKernelTests
{
    private readonly SocketInventoryReader _reader = new(new InventoryOptions { NetNs = NetNsScope.Current });

    [Fact]
    public void Connect_accept_and_close_between_snapshots()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        var s0 = _reader.Read();
        uint listener = server.Listen(backlog: 4).Inode;
        var s1 = _reader.Read();
        var d1 = SnapshotDiff.Between(s0, s1);
        Assert.Contains(d1.ListenersAppeared, l => l.Inode == listener);
        Assert.Contains(d1.Appeared, s => s.Inode == listener);

        uint c = client.Connect().Inode;
        var s2 = _reader.Read();
        var d2 = SnapshotDiff.Between(s1, s2);
        var pending = Assert.Single(d2.Pending, p => p.Client.Inode == c);
        Assert.Equal(listener, pending.Listener?.Inode);
        Assert.DoesNotContain(d2.Connected, x => x.Client.Inode == c);
        Assert.Contains(d2.PendingCountsChanged, p => p.Newer.Inode == listener && p.Newer.PendingCount == 1);

        uint a = server.Accept().Inode;
        var s3 = _reader.Read();
        var d3 = SnapshotDiff.Between(s2, s3);
        var accepted = Assert.Single(d3.Accepted, x => x.Client.Inode == c);
        Assert.Equal(a, accepted.Server?.Inode);
        Assert.Equal(listener, accepted.Listener?.Inode);
        Assert.Contains(accepted.Server!.Holders, h => h.Pid == server.Pid);
        Assert.Contains(accepted.Client.Holders, h => h.Pid == client.Pid);

        // Unchanged: nothing about our sockets.
        var s4 = _reader.Read();
        var d4 = SnapshotDiff.Between(s3, s4);
        Assert.DoesNotContain(d4.Closed, x => x.Client.Inode == c);
        Assert.DoesNotContain(d4.Connected, x => x.Client.Inode == c);
        Assert.DoesNotContain(d4.HoldersChanged, x => x.Newer.Inode == c || x.Newer.Inode == a);

        server.Do("a.close(); reply()");
        var s5 = _reader.Read();
        var d5 = SnapshotDiff.Between(s4, s5);
        var closed = Assert.Single(d5.Closed, x => x.Client.Inode == c);
        Assert.Equal(a, closed.Server?.Inode);
        Assert.Contains(d5.Vanished, s => s.Inode == a);
    }

    [Fact]
    public void Connect_and_accept_within_one_interval_is_one_connect()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        uint listener = server.Listen(backlog: 4).Inode;
        var s0 = _reader.Read();
        uint c = client.Connect().Inode;
        uint a = server.Accept().Inode;
        var d = SnapshotDiff.Between(s0, _reader.Read());
        var connected = Assert.Single(d.Connected, x => x.Client.Inode == c);
        Assert.Equal(a, connected.Server?.Inode);
        Assert.Equal(listener, connected.Listener?.Inode);
        Assert.DoesNotContain(d.Connected, x => x.Client.Inode == a || x.Server?.Inode == c && x.Client.Inode != c);
        Assert.DoesNotContain(d.Pending, x => x.Client.Inode == c);
        Assert.DoesNotContain(d.Accepted, x => x.Client.Inode == c);

        client.Do("c.close(); reply()");
        var closed = SnapshotDiff.Between(s0, _reader.Read());
        Assert.DoesNotContain(closed.Connected, x => x.Client.Inode == c); // opened and closed between two snapshots: unseen
    }
}
