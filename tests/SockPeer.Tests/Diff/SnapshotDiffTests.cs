using SockPeer.Diff;
using SockPeer.Inventory;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Diff;

/// <summary>SnapshotDiff on hand-built snapshots: identity, each kind of change, and facts that flip without a change.</summary>
public class SnapshotDiffTests
{
    private const ulong Ns = 4026531840;
    private static readonly byte[] Path = "/run/app.sock\0"u8.ToArray();

    private static UnixSocket Listener(uint inode = 10, uint pending = 0, uint backlog = 8, params uint[] waiting) => new()
    {
        Inode = inode, Cookie = inode + 1000, NetNs = Ns, Type = UnixSocketType.Stream, State = UnixSocketState.Listening, Role = SocketRole.Listener,
        NameBytes = Path, PendingCount = pending, Backlog = backlog, Pending = waiting, Holders = [new SocketHolder(100, 3)],
    };

    private static UnixSocket Client(uint inode, uint? peer, int pid = 200, int fd = 4) => new()
    {
        Inode = inode, Cookie = inode + 1000, NetNs = Ns, Type = UnixSocketType.Stream,
        State = peer is null ? UnixSocketState.Unconnected : UnixSocketState.Connected, Peer = peer,
        Role = peer switch { null => SocketRole.Unconnected, 0 => SocketRole.Closed, _ => SocketRole.Client }, Holders = [new SocketHolder(pid, fd)],
    };

    private static UnixSocket Accepted(uint inode, uint client, uint listener = 10) => new()
    {
        Inode = inode, Cookie = inode + 1000, NetNs = Ns, Type = UnixSocketType.Stream, State = UnixSocketState.Connected,
        Role = client == 0 ? SocketRole.Closed : SocketRole.Server, NameBytes = Path, Peer = client, Listener = listener, Holders = [new SocketHolder(100, 5)],
    };

    private static UnixSocket Waiting(uint inode, uint listener = 10) => Client(inode, null) with { State = UnixSocketState.Connected, PendingOn = listener, AwaitingAccept = true, Role = SocketRole.Pending };

    private static SocketInventory Snap(params UnixSocket[] sockets)
        => new([.. sockets.OrderBy(s => s.Inode)], [new ProcessInfo { Pid = 100, Command = "server" }, new ProcessInfo { Pid = 200, Command = "client" }], [], peersKnown: true);

    [Fact]
    public void Identical_snapshots_differ_in_nothing()
    {
        var a = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        var b = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        Assert.True(SnapshotDiff.Between(a, b).IsEmpty);
    }

    [Fact]
    public void A_reused_inode_with_another_cookie_is_another_socket()
    {
        var before = Client(20, null);
        var after = before with { Cookie = 99999 };
        var d = SnapshotDiff.Between(Snap(before), Snap(after));
        Assert.Same(before, Assert.Single(d.Vanished));
        Assert.Same(after, Assert.Single(d.Appeared));
        Assert.Empty(d.HoldersChanged);
    }

    [Fact]
    public void A_listener_appears_and_goes()
    {
        var d = SnapshotDiff.Between(Snap(), Snap(Listener()));
        Assert.Equal(10u, Assert.Single(d.ListenersAppeared).Inode);
        var back = SnapshotDiff.Between(Snap(Listener()), Snap());
        Assert.Equal(10u, Assert.Single(back.ListenersGone).Inode);
    }

    [Fact]
    public void A_new_accepted_connection_is_connected_with_its_listener()
    {
        var d = SnapshotDiff.Between(Snap(Listener()), Snap(Listener(), Client(20, 21), Accepted(21, 20)));
        var c = Assert.Single(d.Connected);
        Assert.Equal(20u, c.Client.Inode);
        Assert.Equal(21u, c.Server!.Inode);
        Assert.Equal(10u, c.Listener!.Inode);
        Assert.Empty(d.Pending);
        Assert.Empty(d.Accepted);
    }

    [Fact]
    public void A_waiting_client_is_pending_then_accepted()
    {
        var s0 = Snap(Listener());
        var s1 = Snap(Listener(pending: 1, waiting: 20), Waiting(20));
        var s2 = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        var d1 = SnapshotDiff.Between(s0, s1);
        Assert.Equal(20u, Assert.Single(d1.Pending).Client.Inode);
        Assert.Null(d1.Pending[0].Server);
        Assert.Empty(d1.Connected);
        var d2 = SnapshotDiff.Between(s1, s2);
        var a = Assert.Single(d2.Accepted);
        Assert.Equal(21u, a.Server!.Inode);
        Assert.Empty(d2.Connected);
        Assert.Empty(d2.Closed);
        Assert.Equal(1u, Assert.Single(d2.PendingCountsChanged).Older.PendingCount);
    }

    [Fact]
    public void Closed_when_an_end_vanishes_or_the_kernel_says_the_peer_is_gone()
    {
        var open = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        var clientGone = SnapshotDiff.Between(open, Snap(Listener(), Accepted(21, 0) with { Shutdown = ShutdownState.Both }));
        Assert.Equal(20u, Assert.Single(clientGone.Closed).Client.Inode);
        var serverGone = SnapshotDiff.Between(open, Snap(Listener(), Client(20, 0) with { State = UnixSocketState.Connected, Shutdown = ShutdownState.Both }));
        Assert.Equal(20u, Assert.Single(serverGone.Closed).Client.Inode);
        Assert.Equal(21u, serverGone.Closed[0].Server!.Inode);
    }

    [Fact]
    public void A_torn_read_is_neither_a_close_nor_a_connect()
    {
        var open = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        // The client still names its peer, but the server end was read half-way (no peer yet): no kernel evidence of a close.
        var torn = Snap(Listener(), Client(20, 21), Accepted(21, 20) with { Peer = null, State = UnixSocketState.Unconnected, Role = SocketRole.Bound });
        var d1 = SnapshotDiff.Between(open, torn);
        Assert.Empty(d1.Closed);
        // Once read whole again, the same connection is not made again.
        var d2 = SnapshotDiff.Between(torn, open);
        Assert.Empty(d2.Connected);
        Assert.Empty(d2.Accepted);
        Assert.True(d1.IsEmpty);
        // It is "completed" (whole again after a half-read): the poller announces it only if it never did.
        Assert.Equal(20u, Assert.Single(d2.Completed).Client.Inode);
    }

    [Fact]
    public void An_in_flight_mark_that_flips_changes_nothing()
    {
        var pair = new UnixSocket { Inode = 30, Cookie = 1, NetNs = Ns, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Pair, Peer = 31, IsSocketPair = true, Holders = [new SocketHolder(200, 7)] };
        var other = new UnixSocket { Inode = 31, Cookie = 2, NetNs = Ns, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.InFlight, Peer = 30, IsSocketPair = true, InFlight = true };
        var d = SnapshotDiff.Between(Snap(pair, other), Snap(pair, other with { InFlight = false, InFlightOn = null, Role = SocketRole.Pair }));
        Assert.True(d.IsEmpty);
    }

    [Fact]
    public void Which_end_is_the_client_may_flip_without_a_new_connection()
    {
        // The accepted end's listener join is lost when the listener closes: the roles are inferred again, from names.
        var withListener = Snap(Listener(), Client(20, 21), Accepted(21, 20));
        var without = Snap(Client(20, 21), Accepted(21, 20) with { Listener = null });
        var d = SnapshotDiff.Between(withListener, without);
        Assert.Empty(d.Connected);
        Assert.Empty(d.Closed);
        Assert.Single(d.ListenersGone);
    }

    [Fact]
    public void Holders_gained_and_lost()
    {
        var before = Client(20, null);
        var after = before with { Holders = [new SocketHolder(200, 4), new SocketHolder(300, 4)] };
        var gained = Assert.Single(SnapshotDiff.Between(Snap(before), Snap(after)).HoldersChanged);
        Assert.Equal([new SocketHolder(300, 4)], gained.Gained);
        Assert.Empty(gained.Lost);
        var lost = Assert.Single(SnapshotDiff.Between(Snap(after), Snap(before)).HoldersChanged);
        Assert.Equal([new SocketHolder(300, 4)], lost.Lost);
    }

    [Fact]
    public void Backlog_full_is_the_kernels_test_pending_over_limit()
    {
        var d1 = SnapshotDiff.Between(Snap(Listener(pending: 1, backlog: 1)), Snap(Listener(pending: 2, backlog: 1)));
        var full = Assert.Single(d1.PendingCountsChanged);
        Assert.True(full.BecameFull);
        Assert.False(full.Drained);
        var d2 = SnapshotDiff.Between(Snap(Listener(pending: 2, backlog: 1)), Snap(Listener(pending: 1, backlog: 1)));
        Assert.True(Assert.Single(d2.PendingCountsChanged).Drained);
        var d3 = SnapshotDiff.Between(Snap(Listener(pending: 0, backlog: 1)), Snap(Listener(pending: 1, backlog: 1)));
        Assert.False(Assert.Single(d3.PendingCountsChanged).BecameFull);
    }

    [Fact]
    public void A_datagram_client_connects_and_its_server_goes()
    {
        var server = new UnixSocket { Inode = 40, Cookie = 1, NetNs = Ns, Type = UnixSocketType.Dgram, State = UnixSocketState.Unconnected, Role = SocketRole.DatagramServer, NameBytes = Path, Holders = [new SocketHolder(100, 3)] };
        var client = new UnixSocket { Inode = 41, Cookie = 2, NetNs = Ns, Type = UnixSocketType.Dgram, State = UnixSocketState.Connected, Role = SocketRole.DatagramClient, Peer = 40, Holders = [new SocketHolder(200, 3)] };
        var d = SnapshotDiff.Between(Snap(server), Snap(server with { State = UnixSocketState.Connected, Clients = [41] }, client));
        Assert.Equal(41u, Assert.Single(d.Connected).Client.Inode);
        Assert.Empty(d.ListenersAppeared);
        var gone = SnapshotDiff.Between(Snap(server, client), Snap(client with { Peer = 0, Role = SocketRole.Closed }));
        Assert.Equal(41u, Assert.Single(gone.Closed).Client.Inode);
        Assert.Single(gone.ListenersGone);
    }
}
