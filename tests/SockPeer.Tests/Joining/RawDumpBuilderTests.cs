using SockPeer.Collection;
using SockPeer.Netlink;
using Xunit;

namespace SockPeer.Tests.Joining;

/// <summary>
/// The held-namespace pass starts a builder from the main dump: the dump must come back unchanged
/// (the same object, not a copy) when nothing is added, and whole, in order, when something is.
/// </summary>
public class RawDumpBuilderTests
{
    private static RawDump MainDump()
        => RawDumps.Of(10UL, RawDumps.Stream(1, peer: 2), RawDumps.Stream(2, peer: 1), RawDumps.Listener(3, "/run/a.sock"u8.ToArray(), pending: 1))
            .With(new Dictionary<uint, uint[]> { [3] = [9] }, new NamespaceCount(10, 3, 3, 3));

    [Fact]
    public void Nothing_added_gives_back_the_dump_it_started_from()
    {
        var main = MainDump();
        var builder = new RawDumpBuilder(main);
        Assert.Empty(builder.AddedInodes);
        Assert.Same(main, builder.Build(peersKnown: true));
    }

    [Fact]
    public void What_is_added_follows_the_dump_it_started_from()
    {
        var main = MainDump();
        var builder = new RawDumpBuilder(main);
        var held = new NamespaceDump(20, [RawDumps.Stream(7, peer: 8), RawDumps.Listener(5, [0, (byte)'x'], pending: 1)],
            new ListenerQueues(new Dictionary<uint, uint[]> { [5] = [6] }, new HashSet<uint> { 5 }), new NamespaceCount(20, 2, 2, 2), []);
        builder.Add(held);
        builder.Add(RawDumps.Stream(9), 10);
        Assert.Equal([7u, 5u, 9u], builder.AddedInodes);

        var built = builder.Build(peersKnown: true);
        Assert.NotSame(main, built);
        Assert.Equal([1u, 2u, 3u, 7u, 5u, 9u], built.Sockets.Select(s => s.Record.Inode));
        Assert.Equal([10UL, 10UL, 10UL, 20UL, 20UL, 10UL], built.Sockets.Select(s => s.NetNs!.Value));
        Assert.Equal([3u, 5u], built.Queues.Icons.Keys.Order());
        Assert.Equal([9u], built.Queues.Icons[3]);
        Assert.Equal([6u], built.Queues.Icons[5]);
        Assert.Equal([5u], built.Queues.Partial);
        Assert.Equal([10UL, 20UL], built.Counts.Select(c => c.NetNs!.Value));
        Assert.Equal(4, built.Index[5]);
        // The dump it started from is untouched.
        Assert.Equal(3, main.Sockets.Count);
        Assert.Single(main.Queues.Icons);
    }

    [Fact]
    public void A_socket_found_by_inode_alone_is_added_too()
    {
        // The lookup by inode adds a record without a namespace dump: no queues, no count.
        var main = MainDump();
        var builder = new RawDumpBuilder(main);
        builder.Add(RawDumps.Stream(8, peer: 0), 30);
        var built = builder.Build(peersKnown: true);
        Assert.Equal([1u, 2u, 3u, 8u], built.Sockets.Select(s => s.Record.Inode));
        Assert.Equal(3, built.Index[8]);
        Assert.Equal([9u], built.Queues.Icons[3]);
        Assert.Single(built.Counts);
    }

    [Fact]
    public void A_builder_from_nothing_builds_what_was_added()
    {
        var builder = new RawDumpBuilder();
        builder.Add(RawDumps.Stream(4), null);
        var built = builder.Build(peersKnown: false);
        Assert.Equal([4u], built.Sockets.Select(s => s.Record.Inode));
        Assert.False(built.PeersKnown);
    }
}
