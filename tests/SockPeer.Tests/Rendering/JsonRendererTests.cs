using System.Text;
using System.Text.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Views;
using SockPeer.Views;
using Xunit;

namespace SockPeer.Tests.Rendering;

/// <summary>
/// `--format json` in-process on the hand-built snapshot: each document is valid against
/// docs/sockpeer.schema.json and carries exactly the sockets and processes of the answer.
/// </summary>
public class JsonRendererTests
{
    private static readonly SocketInventory Snapshot = HandBuiltSnapshot.Build();

    private static JsonElement Render(string definition, Action<IRenderer> write)
    {
        using var output = new MemoryStream();
        write(new JsonRenderer(output));
        string json = Encoding.UTF8.GetString(output.ToArray());
        SchemaAssert.Valid(json, definition);
        Assert.Equal(definition, SchemaAssert.ValidDocument(json));
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static JsonElement List(Func<UnixSocket, bool> keep)
    {
        var sockets = Snapshot.Sockets.Where(keep).ToList();
        return Render("list", r => r.WriteList(Snapshot, new ListAnswer(Snapshot, sockets)));
    }

    private static int[] Pids(JsonElement doc) => [.. doc.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32())];

    [Fact]
    public void The_whole_list_has_every_socket_in_order_and_every_process()
    {
        var doc = List(_ => true);
        Assert.Equal(1, doc.GetProperty("schema").GetInt32());
        Assert.True(doc.GetProperty("peersKnown").GetBoolean());
        Assert.Equal(Snapshot.Sockets.Select(s => s.Inode), doc.GetProperty("sockets").InodesOf());
        Assert.Equal(Snapshot.Processes.Select(p => p.Pid), Pids(doc));
    }

    [Fact]
    public void A_filtered_list_keeps_only_the_processes_that_hold_its_sockets()
    {
        var doc = List(s => s.Inode is 1002 or 1003);
        Assert.Equal([1002u, 1003u], doc.GetProperty("sockets").InodesOf());
        Assert.Equal([7767, 8001], Pids(doc));
        var server = doc.Socket(1002);
        Assert.Equal(1003u, server.NullableUInt("peer"));
        Assert.Equal(1001u, server.NullableUInt("listener"));
        Assert.Equal(HandBuiltSnapshot.LongPath, server.Str("name"));
        Assert.Equal(4096u, doc.Socket(1003).GetProperty("recvQueue").GetUInt32());
    }

    [Fact]
    public void Special_sockets_keep_their_facts()
    {
        var doc = List(_ => true);
        var listener = doc.Socket(1001);
        Assert.Equal(6u, listener.NullableUInt("pendingCount"));
        Assert.Equal(5u, listener.NullableUInt("backlog"));
        Assert.Equal("listener", listener.GetProperty("role").GetString());
        Assert.True(listener.GetProperty("backlogFull").GetBoolean());
        Assert.Equal([1010u], listener.Inodes("pending"));
        Assert.Equal(9, listener.GetProperty("holders").GetArrayLength());
        Assert.Equal(1001u, doc.Socket(1010).NullableUInt("pendingOn"));
        Assert.True(doc.Socket(1004).Bool("socketpair"));
        Assert.Equal(0u, doc.Socket(1030).NullableUInt("peer"));
        Assert.True(doc.Socket(1040).Bool("inFlight"));
        Assert.Equal(1003u, doc.Socket(1040).NullableUInt("inFlightOn"));
        Assert.Equal("deleted", doc.Socket(1050).GetProperty("file").Str("status"));
        Assert.True(doc.Socket(1060).Bool("abstract"));
        Assert.StartsWith("@", doc.Socket(1060).Str("name"), StringComparison.Ordinal);
        Assert.Equal([1021u, 1022u], doc.Socket(1020).Inodes("clients"));
        Assert.Equal(HandBuiltSnapshot.OtherNs, doc.Socket(1022).GetProperty("netns").GetUInt64());
        var logger = doc.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == 8003);
        Assert.Equal("docker", logger.GetProperty("container").Str("runtime"));
    }

    [Fact]
    public void Summary_is_a_valid_summary_document_counting_every_socket()
    {
        var doc = Render("summary", r => r.WriteSummary(Snapshot, SocketSummary.Of(Snapshot, Snapshot.Sockets)));
        var summary = doc.GetProperty("summary");
        Assert.Equal(Snapshot.Sockets.Count, summary.GetProperty("total").GetInt32());
        Assert.Equal(Snapshot.Sockets.Count, summary.GetProperty("types").EnumerateArray().Sum(t => t.GetProperty("total").GetInt32()));
        Assert.Equal(Snapshot.Sockets.Select(s => s.NetNs).Distinct().Count(), summary.GetProperty("netnsCount").GetInt32());
        var fullest = summary.GetProperty("fullestListeners")[0];
        Assert.Equal(1001u, fullest.GetProperty("inode").GetUInt32());
        Assert.True(fullest.GetProperty("full").GetBoolean());
    }

    [Fact]
    public void Peer_names_both_ends_the_listener_and_their_processes()
    {
        var doc = Render("peer", r => r.WritePeer(Snapshot, SocketQueries.Peer(Snapshot, Snapshot.Find(1003)!)));
        Assert.Equal(1003u, doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(1002u, doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(1001u, doc.GetProperty("listener").GetProperty("inode").GetUInt32());
        // The processes of every end shown: the client, the server end, and the listener's nine holders.
        var shown = new uint[] { 1001, 1002, 1003 }.SelectMany(i => Snapshot.Find(i)!.Holders).Select(h => h.Pid).Distinct().Order();
        Assert.Equal(shown, Pids(doc).Order());
    }

    [Fact]
    public void Peer_of_a_socket_whose_other_end_closed_has_a_null_peer()
    {
        var doc = Render("peer", r => r.WritePeer(Snapshot, SocketQueries.Peer(Snapshot, Snapshot.Find(1030)!)));
        Assert.Equal(1030u, doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("peer").ValueKind);
    }

    [Fact]
    public void Who_lists_the_listener_its_connection_and_its_pending_client()
    {
        var report = SocketQueries.WhoByName(Snapshot, HandBuiltSnapshot.LongPath, [Encoding.UTF8.GetBytes(HandBuiltSnapshot.LongPath)]);
        var doc = Render("who", r => r.WriteWho(Snapshot, report, fileDeleted: false));
        Assert.Equal([1001u], doc.GetProperty("listeners").InodesOf());
        var connection = Assert.Single(doc.GetProperty("connections").EnumerateArray());
        Assert.Equal(1002u, connection.GetProperty("server").GetProperty("inode").GetUInt32());
        Assert.Equal(1003u, connection.GetProperty("client").GetProperty("inode").GetUInt32());
        Assert.Equal([1010u], doc.GetProperty("pending").InodesOf());
    }
}
