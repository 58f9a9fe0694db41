using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

public class WhoTests
{
    /// <summary>
    /// A listener in the parent; three clients, each in its own forked process. The first two are
    /// accepted (in connect order: the accept queue is FIFO), the third waits in the accept queue.
    /// </summary>
    /// <summary>Three clients, each in a forked child, on who.sock: the first two accepted, the third left pending.</summary>
    private static SocketScene ListenerWithTwoConnectionsAndOnePending() => SocketScene.Build()
        .Listen("who", backlog: 8)
        .Connect("who", clients: 3, heldBy: Holder.ChildEach, accept: 2)
        .Start();

    private static (SceneSocket Server, SceneSocket Client)[] Connections(SocketScene s)
        => [.. s.Connections("who").Where(c => c.Accepted is not null).Select(c => (c.Accepted!, c.Client))];

    private static SceneSocket PendingClient(SocketScene s) => Assert.Single(s.Pending("who"));

    [Fact]
    public void Json_lists_the_listener_both_connections_with_both_ends_and_the_pending_client()
    {
        using var s = ListenerWithTwoConnectionsAndOnePending();
        var result = SockpeerCli.Run("who", s.Socket("who").Path!, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        var doc = result.Json();

        Assert.Equal(s.Socket("who").Path!, doc.GetProperty("path").GetString());
        var listener = Assert.Single(doc.GetProperty("listeners").EnumerateArray());
        Assert.Equal(s.Socket("who").Inode, listener.GetProperty("inode").GetUInt32());
        Assert.Equal("listening", listener.GetProperty("state").GetString());
        Assert.Contains((s.Pid, s.Socket("who").Fd), listener.Holders());
        Assert.Equal(1u, listener.NullableUInt("pendingCount"));
        Assert.Empty(doc.GetProperty("stale").EnumerateArray());

        var expected = Connections(s);
        var connections = doc.GetProperty("connections").EnumerateArray().ToArray();
        Assert.Equal(2, connections.Length);
        foreach (var (server, client) in expected)
        {
            var c = Assert.Single(connections, c => c.GetProperty("server").GetProperty("inode").GetUInt32() == server.Inode);
            var serverJson = c.GetProperty("server");
            var clientJson = c.GetProperty("client");
            Assert.Equal(JsonValueKind.Object, clientJson.ValueKind);
            Assert.Equal(client.Inode, clientJson.GetProperty("inode").GetUInt32());
            Assert.Equal(client.Inode, serverJson.NullableUInt("peer"));
            Assert.Equal(server.Inode, clientJson.NullableUInt("peer"));
            Assert.Equal(s.Socket("who").Inode, serverJson.NullableUInt("listener"));
            Assert.Contains((server.Pid, server.Fd), serverJson.Holders());
            Assert.Equal([(client.Pid, client.Fd)], clientJson.Holders());
        }

        var pendingClient = PendingClient(s);
        var pending = Assert.Single(doc.GetProperty("pending").EnumerateArray());
        Assert.Equal(pendingClient.Inode, pending.GetProperty("inode").GetUInt32());
        Assert.Equal(s.Socket("who").Inode, pending.NullableUInt("pendingOn"));
        Assert.Equal([(pendingClient.Pid, pendingClient.Fd)], pending.Holders());
        Assert.DoesNotContain(connections, c => c.GetProperty("client").ValueKind == JsonValueKind.Object
            && c.GetProperty("client").GetProperty("inode").GetUInt32() == pendingClient.Inode);

        var pids = doc.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet();
        Assert.Contains(s.Pid, pids);
        foreach (var (_, client) in expected)
        {
            Assert.Contains(client.Pid, pids);
        }
        Assert.Contains(pendingClient.Pid, pids);
    }

    [Fact]
    public void Human_view_shows_the_listener_each_connection_on_one_line_and_the_pending_client()
    {
        using var s = ListenerWithTwoConnectionsAndOnePending();
        var result = SockpeerCli.Run("who", s.Socket("who").Path!);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain('\u001b', result.Stdout);
        var lines = result.Stdout.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("listener", StringComparison.Ordinal) && l.Contains($"#{s.Socket("who").Inode} ", StringComparison.Ordinal)
            && l.Contains(s.Socket("who").Path!, StringComparison.Ordinal) && l.Contains("backlog 1/8", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"python3[{s.Pid}]:{s.Socket("who").Fd}", StringComparison.Ordinal));
        Assert.Contains("connections: 2", lines);
        foreach (var (server, client) in Connections(s))
        {
            Assert.Contains(lines, l => l.Contains($"python3[{server.Pid}]:{server.Fd} #{server.Inode}", StringComparison.Ordinal)
                && l.Contains("<->", StringComparison.Ordinal)
                && l.Contains($"python3[{client.Pid}]:{client.Fd} #{client.Inode}", StringComparison.Ordinal));
        }
        Assert.Contains("pending: 1", lines);
        var pending = PendingClient(s);
        Assert.Contains(lines, l => l.Contains($"python3[{pending.Pid}]:{pending.Fd} #{pending.Inode}", StringComparison.Ordinal)
            && l.Contains("not accepted yet", StringComparison.Ordinal));
    }

    /// <summary>
    /// An older server still listens on a socket whose file was unlinked; a newer one bound the same
    /// path. The path reaches the newer one: it is the listener, the older one is "stale", and the
    /// older one's connection is not among the path's connections.
    /// </summary>
    [Fact]
    public void The_socket_the_path_reaches_now_is_told_apart_from_an_older_one_with_the_same_name()
    {
        using var s = SocketScene.Build()
            .Listen("old", file: "rebound.sock")
            .Connect("old", accept: 1)
            .Unlink("old")
            .Listen("new", file: "rebound.sock")
            .Connect("new", accept: 1)
            .Start();
        string path = s.Socket("new").Path!;

        var result = SockpeerCli.Run("who", path, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        var doc = result.Json();

        var listener = Assert.Single(doc.GetProperty("listeners").EnumerateArray());
        Assert.Equal(s.Socket("new").Inode, listener.GetProperty("inode").GetUInt32());
        Assert.Equal("ok", listener.GetProperty("file").GetProperty("status").GetString());
        var stale = Assert.Single(doc.GetProperty("stale").EnumerateArray());
        Assert.Equal(s.Socket("old").Inode, stale.GetProperty("inode").GetUInt32());
        Assert.Equal("replaced", stale.GetProperty("file").GetProperty("status").GetString());
        var connection = Assert.Single(doc.GetProperty("connections").EnumerateArray());
        Assert.Equal(s.Connection("new").Accepted!.Inode, connection.GetProperty("server").GetProperty("inode").GetUInt32());
        Assert.Equal(s.Connection("new").Client.Inode, connection.GetProperty("client").GetProperty("inode").GetUInt32());

        var human = SockpeerCli.Run("who", path);
        Assert.Equal(0, human.ExitCode);
        var lines = human.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("listener", StringComparison.Ordinal) && l.Contains($"#{s.Socket("new").Inode} ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("older", StringComparison.Ordinal) && l.Contains($"#{s.Socket("old").Inode} ", StringComparison.Ordinal)
            && l.Contains("(file replaced", StringComparison.Ordinal));
        Assert.Contains("connections: 1", lines);
        Assert.DoesNotContain($"#{s.Connection("old").Accepted!.Inode}", human.Stdout);
    }
}
