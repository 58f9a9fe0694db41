using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// sockpeer against `ss -xa` (iproute2) on the same live sockets. In ss the two "Port" columns of a
/// Unix socket are inodes: the socket's own and its peer's. ss prints the peer as 0 when the kernel
/// reports none or a closed peer (older versions print "*"), so the semantics compared are:
/// ss peer N ≠ 0 ⇔ sockpeer peer N; ss peer 0 ⇔ sockpeer peer null (none) or 0 (closed).
/// </summary>
public partial class DifferentialTests
{
    /// <summary>
    /// One process with one of each: a stream listener with two accepted clients and one pending, two
    /// stream and seqpacket socketpairs, a pair whose other end closed, a datagram server with a client,
    /// and an unbound datagram socket.
    /// </summary>
    private static SocketScene Script() => SocketScene.Build()
        .Listen("diff", backlog: 8)
        .Connect("diff", clients: 2, accept: 2)
        .Connect("diff")                    // pending: never accepted
        .Pair("p")
        .Pair("q", SceneType.SeqPacket)
        .Pair("h")
        .Close("h.b")                       // h.a's peer has closed
        .Bind("diffd")
        .Connect("diffd")
        .Unbound("du")
        .Start();

    private static readonly string[] Names =
        ["diff", "diff.client0", "diff.client1", "diff.accepted0", "diff.accepted1", "diff.client2", "p.a", "p.b", "q.a", "q.b", "h.a", "diffd", "diffd.client0", "du"];

    private sealed record SsRow(string Netid, string State, uint RecvQ, uint SendQ, string Local, uint Inode, uint Peer);

    [GeneratedRegex(@"^(?<netid>u_\w+)\s+(?<state>\S+)\s+(?<rq>\d+)\s+(?<sq>\d+)\s+(?<local>.*?)\s+(?<ino>\d+)\s+(?<paddr>\S+)\s+(?<pino>\d+|\*)\s*$")]
    private static partial Regex SsLine();

    private static Dictionary<uint, SsRow> RunSs(HashSet<uint> wanted)
    {
        var info = new ProcessStartInfo("ss", "-xa") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        var rows = new Dictionary<uint, SsRow>();
        foreach (var line in output.Split('\n'))
        {
            var m = SsLine().Match(line);
            if (!m.Success || !uint.TryParse(m.Groups["ino"].Value, out uint inode) || !wanted.Contains(inode))
            {
                continue;
            }
            uint peer = m.Groups["pino"].Value == "*" ? 0 : uint.Parse(m.Groups["pino"].Value);
            Assert.True(rows.TryAdd(inode, new SsRow(m.Groups["netid"].Value, m.Groups["state"].Value,
                uint.Parse(m.Groups["rq"].Value), uint.Parse(m.Groups["sq"].Value), m.Groups["local"].Value, inode, peer)),
                $"ss lists inode {inode} twice");
        }
        return rows;
    }

    [Fact]
    public void List_agrees_with_ss_on_type_state_name_and_peer_of_every_socket()
    {
        using var s = Script();
        var inodes = Names.Select(s.Inode).ToHashSet();
        var result = SockpeerCli.Run("list", "--pid", s.Pid.ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();
        var ss = RunSs(inodes);

        foreach (string name in Names)
        {
            uint inode = s.Inode(name);
            Assert.True(ss.TryGetValue(inode, out var row), $"ss does not list {name} (#{inode})");
            var mine = list.Socket(inode);
            string what = $"{name} #{inode}: ss [{row}] sockpeer [{mine}]";

            Assert.True(TypeOf(row.Netid) == mine.GetProperty("type").GetString(), what);
            Assert.True(StateOf(row.State) == mine.GetProperty("state").GetString(), what);
            Assert.True((row.Local == "*" ? null : row.Local) == mine.GetProperty("name").GetString(), what);
            AssertSamePeer(row.Peer, mine.NullableUInt("peer"), what);
            if (row.State == "LISTEN")
            {
                Assert.True(row.RecvQ == mine.NullableUInt("pendingCount"), what);
                Assert.True(row.SendQ == mine.NullableUInt("backlog"), what);
            }
        }

        // Where ss shows no peer, sockpeer says why. Spot the cases the mapping above folds together.
        Assert.Null(list.Socket(s.Inode("diff")).NullableUInt("peer"));
        Assert.Equal(s.Inode("diff"), list.Socket(s.Inode("diff.client2")).NullableUInt("pendingOn"));
        Assert.Null(list.Socket(s.Inode("diff.client2")).NullableUInt("peer"));
        Assert.Equal(0u, list.Socket(s.Inode("h.a")).NullableUInt("peer"));
        Assert.Null(list.Socket(s.Inode("diffd")).NullableUInt("peer"));
        Assert.Equal([s.Inode("diffd.client0")], list.Socket(s.Inode("diffd")).Inodes("clients"));
        Assert.Null(list.Socket(s.Inode("du")).NullableUInt("peer"));
        Assert.Equal(0u, ss[s.Inode("diffd")].Peer);
        Assert.Equal("ESTAB", ss[s.Inode("diffd")].State); // a datagram server turns "connected" once a client connects
    }

    [Fact]
    public void Peer_command_agrees_with_ss_for_every_socket()
    {
        using var s = Script();
        var ss = RunSs(Names.Select(s.Inode).ToHashSet());
        foreach (string name in Names)
        {
            uint inode = s.Inode(name);
            Assert.True(ss.TryGetValue(inode, out var row), $"ss does not list {name} (#{inode})");
            var result = SockpeerCli.Run("peer", inode.ToString(), "--json");
            Assert.True(result.ExitCode == 0, $"peer {name}: {result.Stderr}");
            SchemaAssert.Valid(result.Stdout, "peer");
            var doc = result.Json();
            var peer = doc.GetProperty("peer");
            string what = $"{name} #{inode}: ss [{row}] sockpeer [{doc}]";
            Assert.True(inode == doc.GetProperty("socket").GetProperty("inode").GetUInt32(), what);
            if (row.Peer != 0)
            {
                Assert.True(peer.ValueKind == JsonValueKind.Object && peer.GetProperty("inode").GetUInt32() == row.Peer, what);
            }
            else
            {
                Assert.True(peer.ValueKind == JsonValueKind.Null, what);
            }
        }
    }

    private static void AssertSamePeer(uint ssPeer, uint? mine, string what)
    {
        if (ssPeer != 0)
        {
            Assert.True(mine == ssPeer, what);
        }
        else
        {
            Assert.True(mine is null or 0, what);
        }
    }

    private static string TypeOf(string netid) => netid switch
    {
        "u_str" => "stream",
        "u_dgr" => "dgram",
        "u_seq" => "seqpacket",
        _ => "?" + netid,
    };

    private static string StateOf(string state) => state switch
    {
        "LISTEN" => "listening",
        "ESTAB" => "connected",
        "UNCONN" => "unconnected",
        _ => "?" + state,
    };
}
