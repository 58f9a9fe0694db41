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
    private const string Script = """
        lpath = os.path.join(sys.argv[1], "diff.sock")
        dpath = os.path.join(sys.argv[1], "diffd.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(lpath)
        srv.listen(8)
        c1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c1.connect(lpath)
        c2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c2.connect(lpath)
        a1, _ = srv.accept()
        a2, _ = srv.accept()
        c3 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c3.connect(lpath)   # pending: never accepted
        p1, p2 = socket.socketpair()
        q1, q2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        h1, h2 = socket.socketpair()
        h2.close()          # h1's peer has closed
        ds = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ds.bind(dpath)
        dc = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        dc.connect(dpath)
        du = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ready(lpath=lpath, dpath=dpath, srv=ino(srv), c1=ino(c1), c2=ino(c2), a1=ino(a1), a2=ino(a2), c3=ino(c3),
              p1=ino(p1), p2=ino(p2), q1=ino(q1), q2=ino(q2), h1=ino(h1), ds=ino(ds), dc=ino(dc), du=ino(du))
        hold()
        """;

    private static readonly string[] Names = ["srv", "c1", "c2", "a1", "a2", "c3", "p1", "p2", "q1", "q2", "h1", "ds", "dc", "du"];

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
        using var s = Scenario.Start(Script);
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
        Assert.Null(list.Socket(s.Inode("srv")).NullableUInt("peer"));
        Assert.Equal(s.Inode("srv"), list.Socket(s.Inode("c3")).NullableUInt("pendingOn"));
        Assert.Null(list.Socket(s.Inode("c3")).NullableUInt("peer"));
        Assert.Equal(0u, list.Socket(s.Inode("h1")).NullableUInt("peer"));
        Assert.Null(list.Socket(s.Inode("ds")).NullableUInt("peer"));
        Assert.Equal([s.Inode("dc")], list.Socket(s.Inode("ds")).Inodes("clients"));
        Assert.Null(list.Socket(s.Inode("du")).NullableUInt("peer"));
        Assert.Equal(0u, ss[s.Inode("ds")].Peer);
        Assert.Equal("ESTAB", ss[s.Inode("ds")].State); // a datagram server turns "connected" once a client connects
    }

    [Fact]
    public void Peer_command_agrees_with_ss_for_every_socket()
    {
        using var s = Scenario.Start(Script);
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
