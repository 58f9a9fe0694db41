using SockPeer.Collection;
using SockPeer.Inventory;
using SockPeer.Netlink;
using Xunit;
using static SockPeer.Tests.Joining.RawDumps;

namespace SockPeer.Tests.Collection;

/// <summary>The count check on hand-built dumps and counts: a tail cut off is reported; what the kernel counts but never dumps is not.</summary>
public class CountCrossCheckTests
{
    private static UnixDiagRecord[] Pairs(int n)
        => [.. Enumerable.Range(0, n).Select(i => Stream((uint)(100 + i), peer: (uint)(100 + (i ^ 1))))];

    [Fact]
    public void A_dump_far_short_of_the_kernels_count_is_reported()
    {
        var dump = Of(Pairs(40)).With([], new NamespaceCount(null, 40, 1000, 1001));

        var w = Assert.Single(CountCrossCheck.Check(dump));

        Assert.Equal(WarningCode.CountMismatch, w.Code);
        Assert.Equal(960, w.Count);
        Assert.Null(w.NetNs); // one namespace: no need to say which
    }

    [Fact]
    public void Churn_within_the_margin_is_not_reported()
    {
        var dump = Of(Pairs(40)).With([], new NamespaceCount(null, 40, 50, 60));
        Assert.Empty(CountCrossCheck.Check(dump));
    }

    [Fact]
    public void Pending_server_halves_are_counted_where_their_client_was_dumped()
    {
        // A listener in namespace 1 with 30 pending clients, all dumped in namespace 2: the kernel
        // counts their 30 server halves in namespace 2, and they have no inode to dump.
        var sockets = new List<RawSocket> { new(Listener(1, "/run/a.sock"u8.ToArray(), pending: 30), 1) };
        var clients = Enumerable.Range(0, 30).Select(i => (uint)(500 + i)).ToArray();
        sockets.AddRange(clients.Select(c => new RawSocket(Stream(c, peer: 0), 2)));
        var dump = new RawDump(sockets, new ListenerQueues(new Dictionary<uint, uint[]> { [1] = clients }, new HashSet<uint>()),
            [new NamespaceCount(1, 1, 1, 1), new NamespaceCount(2, 30, 60, 60)], peersKnown: true);

        Assert.Equal(30, CountCrossCheck.Uncounted(dump)[2]);
        Assert.Empty(CountCrossCheck.Check(dump));

        // Without that, namespace 2 would look 30 short, and the warning names it.
        var naive = new RawDump(sockets, ListenerQueues.None, dump.Counts, peersKnown: true);
        Assert.Equal(2ul, Assert.Single(CountCrossCheck.Check(naive)).NetNs);
    }

    [Fact]
    public void An_unknown_count_is_no_evidence()
    {
        var dump = Of(Pairs(2)).With([], new NamespaceCount(null, 2, -1, 5000));
        Assert.Empty(CountCrossCheck.Check(dump));
    }
}
