using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// One of each kind: a stream listener with one connection (client in a forked process), a bound
/// datagram socket, and a seqpacket socketpair. Everything but the client is held by the parent.
/// </summary>
public sealed class MixedSockets : IDisposable
{
    public SocketScene Scene { get; } = SocketScene.Build()
        .Listen("stream")
        .Connect("stream", heldBy: Holder.Child, accept: 1)
        .Bind("dgram")
        .Pair("seq", SceneType.SeqPacket)
        .Start();

    public SceneSocket Client => Scene.Connection("stream").Client;

    public SceneSocket Accepted => Scene.Connection("stream").Accepted!;

    /// <summary>The scene's sockets by the names the tests use.</summary>
    public uint Inode(string name) => name switch
    {
        "listener" => Scene.Socket("stream").Inode,
        "accepted" => Accepted.Inode,
        "client" => Client.Inode,
        "dgram" => Scene.Socket("dgram").Inode,
        "seq1" => Scene.Pair("seq").A.Inode,
        "seq2" => Scene.Pair("seq").B.Inode,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    public uint[] All => new[] { "listener", "accepted", "client", "dgram", "seq1", "seq2" }.Select(Inode).ToArray();

    public void Dispose() => Scene.Dispose();
}

public class FilterTests(MixedSockets mixed) : IClassFixture<MixedSockets>
{
    private MixedSockets S => mixed;

    /// <summary>Runs `list --json` with filters; returns every listed socket and the scenario's among them.</summary>
    private (JsonElement[] Listed, HashSet<uint> Ours) List(params string[] filters)
    {
        var result = SockpeerCli.Run(["list", .. filters, "--json"]);
        Assert.True(result.ExitCode is 0 or 1, $"list {string.Join(' ', filters)}: {result.Stderr}");
        SchemaAssert.Valid(result.Stdout, "list");
        var listed = result.Json().GetProperty("sockets").EnumerateArray().ToArray();
        // Decision (issue 17): filters that match nothing exit 1, as grep and lsof do; the document is still written.
        Assert.True(result.ExitCode == (listed.Length == 0 ? 1 : 0), $"list {string.Join(' ', filters)}: exit {result.ExitCode} with {listed.Length} sockets");
        var ours = listed.Select(x => x.GetProperty("inode").GetUInt32()).Where(mixed.All.Contains).ToHashSet();
        return (listed, ours);
    }

    private HashSet<uint> Inodes(params string[] names) => names.Select(S.Inode).ToHashSet();

    [Fact]
    public void Pid_of_the_client_shows_both_ends_of_its_connection_and_nothing_else_of_ours()
    {
        int pid = S.Client.Pid;
        var (listed, ours) = List("--pid", pid.ToString());
        Assert.Equal(Inodes("client", "accepted"), ours);
        // Every listed socket is held by the pid, or is the other end of one that is.
        var heldByPid = listed.Where(x => x.Holders().Any(h => h.Pid == pid)).Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet();
        foreach (var x in listed)
        {
            bool held = heldByPid.Contains(x.GetProperty("inode").GetUInt32());
            bool otherEnd = x.NullableUInt("peer") is uint p && heldByPid.Contains(p)
                || x.NullableUInt("pendingOn") is uint l && heldByPid.Contains(l);
            Assert.True(held || otherEnd, $"socket {x.GetProperty("inode")} is neither held by {pid} nor at the other end of one of its sockets");
        }
    }

    [Fact]
    public void Pid_of_the_server_shows_all_its_sockets_and_the_client_end_of_its_connection()
    {
        var (_, ours) = List("--pid", S.Scene.Pid.ToString());
        Assert.Equal(mixed.All.ToHashSet(), ours);
    }

    [Fact]
    public void Path_glob_matches_sockets_named_by_it_and_the_clients_connected_to_them()
    {
        // The scenario's directory is unique, so nothing else on the machine can match.
        string dir = S.Scene.Dir;
        var (listed, _) = List("--path", dir + "/stream*");
        Assert.Equal(Inodes("listener", "accepted", "client"), listed.Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet());

        (listed, _) = List("--path", dir + "/str?am.[rs]ock");
        Assert.Equal(Inodes("listener", "accepted", "client"), listed.Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet());

        (listed, _) = List("--path", dir + "/dgram.*");
        Assert.Equal(Inodes("dgram"), listed.Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet());

        (listed, _) = List("--path", dir + "/nothing*");
        Assert.Empty(listed);
    }

    [Theory]
    [InlineData("stream", new[] { "listener", "accepted", "client" })]
    [InlineData("dgram", new[] { "dgram" })]
    [InlineData("seqpacket", new[] { "seq1", "seq2" })]
    public void Type_keeps_only_that_type(string type, string[] expected)
    {
        var (listed, ours) = List("--type", type);
        Assert.Equal(Inodes(expected), ours);
        Assert.All(listed, x => Assert.Equal(type, x.GetProperty("type").GetString()));
    }

    [Theory]
    [InlineData("listening", new[] { "listener" })]
    [InlineData("connected", new[] { "accepted", "client", "seq1", "seq2" })]
    [InlineData("unconnected", new[] { "dgram" })]
    public void State_keeps_only_that_state(string state, string[] expected)
    {
        var (listed, ours) = List("--state", state);
        Assert.Equal(Inodes(expected), ours);
        Assert.All(listed, x => Assert.Equal(state, x.GetProperty("state").GetString()));
    }

    [Fact]
    public void Filters_combine()
    {
        var (listed, ours) = List("--type", "stream", "--state", "connected", "--pid", S.Client.Pid.ToString());
        Assert.Equal(Inodes("client", "accepted"), ours);
        Assert.All(listed, x => Assert.Equal("stream", x.GetProperty("type").GetString()));
    }

    [SkippableFact]
    public void User_by_name_and_by_uid_give_the_same_sockets()
    {
        uint uid = HostFacts.CurrentUid;
        string? name = HostFacts.UserName(uid);
        Skip.If(name is null, $"uid {uid} has no name in /etc/passwd");
        var (_, byName) = List("--user", name);
        var (_, byUid) = List("--user", uid.ToString());
        Assert.Equal(mixed.All.ToHashSet(), byName);
        Assert.Equal(mixed.All.ToHashSet(), byUid);
    }

    [SkippableFact]
    public void User_keeps_that_user_s_sockets_and_leaves_out_another_user_s()
    {
        Skip.IfNot(HostFacts.IsRoot, "needs root to hold sockets as another user (nobody)");
        // A socketpair held by nobody, beside the fixture's sockets held by root.
        using var other = SocketScene.Build().As(Confined.Nobody).Pair("pair").Start();
        var nobodys = new HashSet<uint> { other.Pair("pair").A.Inode, other.Pair("pair").B.Inode };
        var ours = nobodys.Concat(mixed.All).ToHashSet();
        // With --pid as well (filters combine), so that the documents stay small on a busy host.
        HashSet<uint> Listed(string user, int pid) => SockpeerCli.Json("list", "--user", user, "--pid", pid.ToString()).GetProperty("sockets").EnumerateArray()
            .Select(x => x.GetProperty("inode").GetUInt32()).Where(ours.Contains).ToHashSet();
        int server = S.Scene.Pid;

        Assert.Equal(nobodys, Listed("nobody", other.Pid));
        Assert.Equal(nobodys, Listed("65534", other.Pid));
        Assert.Empty(Listed("root", other.Pid));
        Assert.Empty(Listed("0", other.Pid));
        Assert.Equal(mixed.All.ToHashSet(), Listed("root", server));
        Assert.Equal(mixed.All.ToHashSet(), Listed("0", server));
        Assert.Empty(Listed("nobody", server));
    }

    [Fact]
    public void User_that_does_not_exist_is_an_error_but_a_uid_without_a_name_is_not()
    {
        // Decision: `lsof -u NAME` and `ps -u NAME` reject a name the user database does not know
        // (exit 1 with a message): a typo must not read as "this user has no sockets". A numeric
        // uid is always valid, like `ps -u 4000000000`: it just matches nothing here.
        var bad = SockpeerCli.Run("list", "--user", "nosuchuser12345");
        SockpeerCli.AssertOneErrorLine(bad, 1, "--user nosuchuser12345");
        Assert.Contains("nosuchuser12345", bad.Stderr);
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("list", "--user", "nosuchuser12345", "--json"), 1, "--user nosuchuser12345 --json");

        var (_, ours) = List("--user", "4000000000");
        Assert.Empty(ours);
    }

    [Fact]
    public void Human_view_for_the_client_pid_has_one_line_with_both_ends()
    {
        int cpid = S.Client.Pid;
        var result = SockpeerCli.Run("list", "--pid", cpid.ToString());
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("TYPE", lines[0]);
        string client = $"python3[{cpid}]:{S.Client.Fd} #{S.Inode("client")}";
        string server = $"python3[{S.Scene.Pid}]:{S.Accepted.Fd} #{S.Inode("accepted")}";
        var line = Assert.Single(lines, l => l.Contains(client, StringComparison.Ordinal));
        Assert.Contains(server, line);
        Assert.Contains("<->", line);
        Assert.Contains(S.Scene.Socket("stream").Path!, line);
        Assert.StartsWith("stream", line);
        Assert.True(line.IndexOf(client, StringComparison.Ordinal) < line.IndexOf(server, StringComparison.Ordinal), "the client end goes first");
        Assert.DoesNotContain(lines, l => l != line && l.Contains($"#{S.Inode("accepted")}", StringComparison.Ordinal));
    }
}

/// <summary>
/// A socket's owner (the uid that created it) and its holders can differ: root creates a socket,
/// then the holding process drops to nobody. "Owned or held by" must mean the same whether the
/// user is given by name or by uid.
/// </summary>
public class UserFilterOwnerTests
{
    [SkippableFact]
    public void User_by_name_matches_the_socket_owner_like_user_by_uid()
    {
        Skip.IfNot(HostFacts.IsRoot, "needs root to make a socket owned by root and held by nobody");
        string nobody = HostFacts.UserName(65534) ?? "nobody";
        string root = HostFacts.UserName(0) ?? "root";
        using var s = Scenario.Start("""
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                mine = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                child_report(w, child_pid=os.getpid(), sock=ino(mine))
                hold()
            ready(**read_report(r))
            hold()
            """);
        uint sock = s.Inode("sock");

        bool Listed(string user)
        {
            var result = SockpeerCli.Run("list", "--user", user, "--json");
            Assert.True(result.ExitCode == 0, $"--user {user}: {result.Stderr}");
            return result.Json().GetProperty("sockets").EnumerateArray().Any(x => x.GetProperty("inode").GetUInt32() == sock);
        }

        var all = SockpeerCli.Json("list", "--pid", s.Int("child_pid").ToString());
        var socket = all.Socket(sock);
        Assert.Equal(0u, socket.NullableUInt("uid"));
        Assert.Contains((s.Int("child_pid"), -1), socket.Holders().Select(h => (h.Pid, -1)));

        Assert.True(Listed("0"), "--user 0 (the owner)");
        Assert.True(Listed(root), $"--user {root} (the owner, by name)");
        Assert.True(Listed("65534"), "--user 65534 (the holder)");
        Assert.True(Listed(nobody), $"--user {nobody} (the holder, by name)");
    }
}
