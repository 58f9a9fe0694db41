using SockPeer.Ebpf;
using Xunit;

namespace SockPeer.Tests.Ebpf;

/// <summary>
/// The matcher on the orders the kernel's ring buffer gives: connect, accept and close of one
/// connection in every order the CPUs can make them, and connections older than the tracker.
/// </summary>
public sealed class UnixConnectionMatcherTests
{
    private const ulong Ms = 1_000_000;
    private const ulong Client = 0xC1, Server = 0x5E; // kernel socket ids of the two ends

    private static UnixKernelEvent Event(UnixKernelEventKind kind, ulong atMs, uint inode, uint peerInode, ulong id, ulong peerId, int pid) => new()
    {
        Kind = kind,
        Time = DateTimeOffset.UnixEpoch,
        MonotonicNanoseconds = atMs * Ms,
        Pid = pid,
        Command = pid == 1 ? "client" : "server",
        Inode = inode,
        PeerInode = peerInode,
        SocketId = id,
        PeerSocketId = peerId,
        NameBytes = "/run/s.sock"u8.ToArray(),
    };

    // Client: inode 100, pid 1; server end: inode 200, pid 2.
    private static UnixKernelEvent Connect(ulong at) => Event(UnixKernelEventKind.Connect, at, 100, 0, Client, Server, 1);
    private static UnixKernelEvent Accept(ulong at) => Event(UnixKernelEventKind.Accept, at, 200, 100, Server, Client, 2);
    private static UnixKernelEvent ClientClose(ulong at) => Event(UnixKernelEventKind.Close, at, 100, 200, Client, Server, 1);
    private static UnixKernelEvent ServerClose(ulong at) => Event(UnixKernelEventKind.Close, at, 200, 100, Server, Client, 2);

    [Fact]
    public void Connect_accept_then_the_clients_close_is_an_accepted_connection_closing_by_its_client()
    {
        var m = new UnixConnectionMatcher();
        var facts = m.Match([Connect(1), Accept(2), ClientClose(3)], 4 * Ms);
        Assert.Equal([UnixConnectionFactKind.Connect, UnixConnectionFactKind.Accept, UnixConnectionFactKind.Close], facts.Select(f => f.Kind));
        Assert.Equal((100u, 200u), (facts[1].ClientInode, facts[1].ServerInode));
        Assert.Same(facts[0].Event, facts[1].Connect);
        var close = facts[2];
        Assert.Equal(ConnectionEnd.Client, close.Closed);
        Assert.True(close.Accepted);
        Assert.Equal((100u, 200u), (close.ClientInode, close.ServerInode));
    }

    [Fact]
    public void An_accept_and_the_servers_close_read_before_their_connect_wait_for_it_and_come_after_it_in_order()
    {
        var m = new UnixConnectionMatcher();
        // The server on another CPU accepted and closed before connect(2) returned on the client's.
        Assert.Empty(m.Match([Accept(1), ServerClose(2)], 3 * Ms));
        Assert.Equal(2, m.Held);
        var facts = m.Match([Connect(3)], 4 * Ms);
        Assert.Equal([UnixConnectionFactKind.Connect, UnixConnectionFactKind.Accept, UnixConnectionFactKind.Close], facts.Select(f => f.Kind));
        Assert.Equal(ConnectionEnd.Server, facts[2].Closed);
        Assert.True(facts[2].Accepted); // a connection closing, not a client that gave up waiting
        Assert.Equal(100u, facts[2].ClientInode);
        Assert.Equal(0, m.Held);
    }

    [Fact]
    public void A_client_that_closes_before_any_accept_gave_up_waiting_and_a_later_accept_still_names_it()
    {
        var m = new UnixConnectionMatcher();
        var facts = m.Match([Connect(1), ClientClose(2)], 3 * Ms);
        Assert.Equal(ConnectionEnd.Client, facts[1].Closed);
        Assert.False(facts[1].Accepted);
        // The server accepts what is left in its queue: the client is gone, the kernel names no peer inode.
        var accept = Assert.Single(m.Match([Accept(4) with { PeerInode = 0 }], 5 * Ms));
        Assert.Equal(UnixConnectionFactKind.Accept, accept.Kind);
        Assert.Equal(100u, accept.ClientInode);
        Assert.Equal("client", accept.Connect?.Command);
    }

    /// <summary>
    /// Issue 22's unfiltered runs: socket ids are kernel addresses, and a socket freed a moment ago gives
    /// its address to the next one. The close of a socket the tracker never saw connect waits for its
    /// connect; a new connection whose client or server end got the same address must not take it as
    /// its own (it closed the new connection early, with the old socket's peer, and dropped the real close).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_older_sockets_close_held_for_its_connect_is_not_taken_by_a_new_connection_that_reuses_its_id(bool clientEnd)
    {
        var m = new UnixConnectionMatcher();
        // A socket connected before the tracker started (inode 900, peer 901) closes; its id is then reused.
        var stale = Event(UnixKernelEventKind.Close, 1, 900, 901, clientEnd ? Client : Server, 0x77, 3);
        Assert.Empty(m.Match([stale], 1 * Ms));
        var facts = m.Match([Connect(2), Accept(3), ClientClose(4)], 5 * Ms);
        facts.AddRange(m.Match([], 6 * Ms));
        Assert.Equal(1, facts.Count(f => f.Kind == UnixConnectionFactKind.Connect));
        Assert.Equal(1, facts.Count(f => f.Kind == UnixConnectionFactKind.Accept));
        Assert.Equal(2, facts.Count(f => f.Kind == UnixConnectionFactKind.Close));
        var old = Assert.Single(facts, f => f.Event.Inode == 900);
        Assert.Equal(ConnectionEnd.Unknown, old.Closed);
        Assert.Equal(0u, old.ClientInode);
        var close = Assert.Single(facts, f => f.Kind == UnixConnectionFactKind.Close && f.Event.Inode == 100);
        Assert.Equal(ConnectionEnd.Client, close.Closed);
        Assert.Equal((100u, 200u), (close.ClientInode, close.ServerInode));
        Assert.True(close.Accepted);
        Assert.Equal(0, m.Held);
    }

    /// <summary>
    /// The other way round (the 3,000-connection unfiltered run): a client gives up waiting and closes;
    /// its server half, never accepted, is freed with the listener, and a socket the tracker never saw
    /// connect (a socketpair) gets its address and closes within the linger. That close is not the old
    /// connection's server closing ("accepted", 3 s later); nor is a close of the client's reused address.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_close_of_a_socket_that_took_a_closed_connections_address_is_not_that_connections(bool clientEnd)
    {
        var m = new UnixConnectionMatcher();
        var facts = m.Match([Connect(1), ClientClose(2)], 3 * Ms);
        Assert.Equal(ConnectionEnd.Client, facts[1].Closed);
        var reused = Event(UnixKernelEventKind.Close, 100, 900, 901, clientEnd ? Client : Server, 0x77, 3);
        facts = m.Match([reused], 101 * Ms);
        facts.AddRange(m.Match([], 1000 * Ms)); // past the hold
        var close = Assert.Single(facts);
        Assert.Equal(ConnectionEnd.Unknown, close.Closed);
        Assert.Equal(0u, close.ClientInode);
        Assert.Null(close.Connect);
    }

    [Fact]
    public void When_both_closes_race_the_connection_closes_once()
    {
        var m = new UnixConnectionMatcher();
        var facts = m.Match([Connect(1), Accept(2), ServerClose(3), ClientClose(3)], 4 * Ms);
        Assert.Single(facts, f => f.Kind == UnixConnectionFactKind.Close);
    }

    [Fact]
    public void What_refers_to_a_connection_older_than_the_tracker_comes_out_after_the_hold_as_the_kernel_said_it()
    {
        var m = new UnixConnectionMatcher();
        Assert.Empty(m.Match([Accept(1)], 2 * Ms));
        ulong later = 1 * Ms + (ulong)UnixConnectionMatcher.HoldFor.Ticks * 100;
        var accept = Assert.Single(m.Match([], later));
        Assert.Null(accept.Connect);
        Assert.Equal((100u, 200u), (accept.ClientInode, accept.ServerInode));
        // Its close is then known: the server end, accepted.
        var close = Assert.Single(m.Match([ServerClose(later / Ms + 1)], later + Ms));
        Assert.Equal(ConnectionEnd.Server, close.Closed);
        Assert.True(close.Accepted);
        // A close of which nothing is known: which end it was is not the matcher's guess.
        var unknown = Assert.Single(m.Match([Event(UnixKernelEventKind.Close, 1, 300, 301, 0x77, 0x78, 3)], later + 2 * Ms));
        Assert.Equal(ConnectionEnd.Unknown, unknown.Closed);
        Assert.Null(unknown.Accepted);
    }

    [Fact]
    public void A_listeners_close_is_no_connection_fact()
    {
        var m = new UnixConnectionMatcher();
        Assert.Empty(m.Match([Event(UnixKernelEventKind.Close, 1, 50, 0, 0x50, 0, 2) with { Listening = true }], 2 * Ms));
        Assert.Equal(0, m.Held);
    }
}
