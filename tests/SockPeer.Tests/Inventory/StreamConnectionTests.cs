using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Inventory;

public class StreamConnectionTests
{
    /// <summary>A listener on server.sock and one client in a forked child, accepted.</summary>
    private static SocketScene ListenerWithClient() => SocketScene.Build()
        .Listen("server", backlog: 8)
        .Connect("server", heldBy: Holder.Child, accept: 1)
        .Start();

    [Fact]
    public void Library_joins_listener_accepted_and_client()
    {
        using var scene = ListenerWithClient();
        var conn = scene.Connection("server");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scene.Inode("server"))!;
        var accepted = inventory.Find(conn.Accepted!.Inode)!;
        var client = inventory.Find(conn.Client.Inode)!;
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Null(client.Listener);
        Assert.Equal(SocketFileStatus.Ok, listener.File!.Status);
        Assert.Equal(scene.Socket("server").Path, listener.Name);
        Assert.Contains(new SocketHolder(scene.Pid, conn.Accepted!.Fd), accepted.Holders);
        Assert.Contains(new SocketHolder(conn.Client.Pid, conn.Client.Fd), client.Holders);
        Assert.NotNull(inventory.FindProcess(conn.Client.Pid));
        Assert.Equal("python3", inventory.FindProcess(conn.Client.Pid)!.Command);
    }

    [Fact]
    public void Cli_json_reports_the_same_connection_and_matches_the_schema()
    {
        using var scene = ListenerWithClient();
        var conn = scene.Connection("server");
        var result = SockpeerCli.Run("list", "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();

        var accepted = list.Socket(conn.Accepted!.Inode);
        var client = list.Socket(conn.Client.Inode);
        Assert.Equal(conn.Client.Inode, accepted.NullableUInt("peer"));
        Assert.Equal(conn.Accepted!.Inode, client.NullableUInt("peer"));
        Assert.Equal(scene.Inode("server"), accepted.NullableUInt("listener"));
        Assert.Equal("ok", list.Socket(scene.Inode("server")).GetProperty("file").GetProperty("status").GetString());
        Assert.Contains((conn.Client.Pid, conn.Client.Fd), client.Holders());
    }

    [Fact]
    public void Peer_by_pid_fd_names_the_server_process()
    {
        using var scene = ListenerWithClient();
        var conn = scene.Connection("server");
        var result = SockpeerCli.Run("peer", conn.Client.Pid.ToString(), conn.Client.Fd.ToString(), "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "peer");
        var doc = result.Json();
        Assert.Equal(conn.Client.Inode, doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(conn.Accepted!.Inode, doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scene.Inode("server"), doc.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Contains((scene.Pid, conn.Accepted!.Fd), doc.GetProperty("peer").Holders());
        Assert.Contains(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Pid);

        var human = SockpeerCli.Run("peer", $"socket:[{conn.Client.Inode}]");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"python3[{scene.Pid}]:{conn.Accepted!.Fd}", human.Stdout);
    }
}
