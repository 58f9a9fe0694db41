using SockPeer.Model;
using SockPeer.Views;
using Xunit;

namespace SockPeer.Tests.Views;

/// <summary>The engine's classification, "other end" and filter, on a hand-built snapshot.</summary>
public class SocketViewTests
{
    private static readonly SockPeer.Inventory.SocketInventory Snapshot = HandBuiltSnapshot.Build();

    private static SocketView View(uint inode) => SocketViews.Classify(Snapshot, Snapshot.Find(inode)!);

    [Theory]
    [InlineData(1001u, SocketKind.Listener)]
    [InlineData(1002u, SocketKind.Connection)]
    [InlineData(1003u, SocketKind.Connection)]
    [InlineData(1004u, SocketKind.Pair)]
    [InlineData(1010u, SocketKind.Pending)]
    [InlineData(1020u, SocketKind.Bound)]
    [InlineData(1021u, SocketKind.Connection)]
    [InlineData(1030u, SocketKind.Closed)]
    [InlineData(1040u, SocketKind.InFlight)]
    [InlineData(1070u, SocketKind.Unconnected)]
    public void Every_socket_has_one_kind(uint inode, SocketKind kind) => Assert.Equal(kind, View(inode).Kind);

    [Fact]
    public void A_connection_has_its_client_first_from_either_socket()
    {
        foreach (uint inode in new uint[] { 1002, 1003 })
        {
            var v = View(inode);
            Assert.Equal(1003u, v.Client!.Inode);
            Assert.Equal(1002u, v.Server!.Inode);
            Assert.Equal(EndRelation.Mutual, v.Relation);
        }
    }

    [Fact]
    public void A_pending_client_points_at_its_listener_one_way()
    {
        var v = View(1010);
        Assert.Equal(1010u, v.Client!.Inode);
        Assert.Equal(1001u, v.Server!.Inode);
        Assert.Equal(EndRelation.OneWay, v.Relation);
        Assert.Equal(1001u, SocketViews.OtherEnd(Snapshot, Snapshot.Find(1010)!)!.Inode);
    }

    [Fact]
    public void Rows_show_a_connection_and_a_pair_once()
    {
        var rows = SocketViews.Rows(Snapshot, Snapshot.Sockets).ToList();
        Assert.Single(rows, r => r.Sockets.Any(s => s.Inode == 1002));
        Assert.Single(rows, r => r.Sockets.Any(s => s.Inode == 1005));
        Assert.Equal(Snapshot.Sockets.Count - 3, rows.Count); // 1003, 1005 and 1081 ride on their twins' rows
    }

    private static HashSet<uint> Matching(SocketFilter filter)
        => Snapshot.Sockets.Where(s => filter.Matches(Snapshot, s)).Select(s => s.Inode).ToHashSet();

    [Fact]
    public void Pid_of_a_pending_client_selects_its_listener_too()
    {
        Assert.Equal([1001u, 1010u], Matching(new SocketFilter { Pids = new HashSet<int> { 8002 } }).Order());
        // And the listener's pid selects the waiting client, as before.
        Assert.Contains(1010u, Matching(new SocketFilter { Pids = new HashSet<int> { 7760 } }));
    }

    [Fact]
    public void Table_words_select_kinds_and_the_kernel_words_still_work()
    {
        Assert.Equal([1010u], Matching(new SocketFilter { Kinds = new HashSet<SocketKind> { SocketKind.Pending } }));
        Assert.Equal([1004u, 1005u], Matching(new SocketFilter { Kinds = new HashSet<SocketKind> { SocketKind.Pair } }).Order());
        Assert.Equal([1001u, 1050u, 1060u], Matching(new SocketFilter { States = new HashSet<UnixSocketState> { UnixSocketState.Listening } }).Order());
        Assert.True(SocketKindText.TryParse("LISTEN", out var k) && k == SocketKind.Listener);
        Assert.True(SocketKindText.TryParse("inflight", out k) && k == SocketKind.InFlight);
        Assert.False(SocketKindText.TryParse("closing", out _));
    }

    [Theory]
    [InlineData("app.sock", true)]
    [InlineData("app.*", true)]
    [InlineData("*.sock", true)]
    [InlineData("/run/*/app.sock", true)]
    [InlineData("/run/app.sock", false)]
    [InlineData("pp.sock", false)]
    public void A_glob_without_a_slash_matches_the_last_component(string pattern, bool matches)
        => Assert.Equal(matches, NameGlob.Parse(pattern).Matches(HandBuiltSnapshot.LongPath));

    [Theory]
    [InlineData("/tmp/x/[a-")]
    [InlineData("[")]
    [InlineData("a\\")]
    [InlineData("")]
    public void An_invalid_glob_is_refused(string pattern)
    {
        Assert.False(NameGlob.TryParse(pattern, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Glob_classes_and_escapes_still_match()
    {
        Assert.True(NameGlob.Parse("/dev/[kl]og").Matches("/dev/log"));
        Assert.True(NameGlob.Parse("/dev/[!x]og").Matches("/dev/log"));
        Assert.True(NameGlob.Parse("[]]x").Matches("]x"));
        Assert.True(NameGlob.Parse("a\\*").Matches("a*"));
        Assert.False(NameGlob.Parse("a\\*").Matches("ab"));
        Assert.True(NameGlob.Parse("@dbus*").Matches("@dbus-session"));
    }

    [Fact]
    public void Summary_counts_every_socket_by_type_and_kind_and_ranks_full_listeners_first()
    {
        var summary = SocketSummary.Of(Snapshot, Snapshot.Sockets);
        Assert.Equal(Snapshot.Sockets.Count, summary.Total);
        Assert.Equal(Snapshot.Sockets.Count, summary.ByTypeAndKind.Values.Sum(k => k.Values.Sum()));
        Assert.Equal(2, summary.ByTypeAndKind[UnixSocketType.Stream][SocketKind.Pair]);
        var fullest = Assert.Single(summary.FullestListeners);
        Assert.Equal(1001u, fullest.Listener.Inode);
        Assert.True(fullest.Full);
        Assert.Equal(2, summary.NetNamespaces);
    }
}
