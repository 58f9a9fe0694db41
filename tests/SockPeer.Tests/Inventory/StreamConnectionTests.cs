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
        var server = scene.Socket("server");
        var (client, accepted) = scene.Connection("server");
        var inventory = new SocketInventoryReader().Read();

        var listenerSocket = inventory.Find(server.Inode)!;
        var acceptedSocket = inventory.Find(accepted!.Inode)!;
        var clientSocket = inventory.Find(client.Inode)!;
        Assert.Equal(UnixSocketState.Listening, listenerSocket.State);
        Assert.Equal(UnixSocketState.Connected, acceptedSocket.State);
        Assert.Equal(clientSocket.Inode, acceptedSocket.Peer);
        Assert.Equal(acceptedSocket.Inode, clientSocket.Peer);
        Assert.Equal(listenerSocket.Inode, acceptedSocket.Listener);
        Assert.Null(clientSocket.Listener);
        Assert.Equal(SocketFileStatus.Ok, listenerSocket.File!.Status);
        Assert.Equal(server.Path, listenerSocket.Name);
        Assert.Contains(new SocketHolder(scene.Pid, accepted.Fd), acceptedSocket.Holders);
        Assert.Contains(client.Holder, clientSocket.Holders);
        Assert.NotNull(inventory.FindProcess(client.Pid));
        Assert.Equal("python3", inventory.FindProcess(client.Pid)!.Command);
    }

    [Fact]
    public void Cli_json_reports_the_same_connection_and_matches_the_schema()
    {
        using var scene = ListenerWithClient();
        var server = scene.Socket("server");
        var (client, accepted) = scene.Connection("server");
        var result = SockpeerCli.Run("list", "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();

        var acceptedJson = list.Socket(accepted!.Inode);
        var clientJson = list.Socket(client.Inode);
        Assert.Equal(client.Inode, acceptedJson.NullableUInt("peer"));
        Assert.Equal(accepted.Inode, clientJson.NullableUInt("peer"));
        Assert.Equal(server.Inode, acceptedJson.NullableUInt("listener"));
        Assert.Equal("ok", list.Socket(server.Inode).GetProperty("file").GetProperty("status").GetString());
        Assert.Contains((client.Pid, client.Fd), clientJson.Holders());
    }

    [Fact]
    public void Peer_by_pid_fd_names_the_server_process()
    {
        using var scene = ListenerWithClient();
        var server = scene.Socket("server");
        var (client, accepted) = scene.Connection("server");
        var result = SockpeerCli.Run("peer", client.Pid.ToString(), client.Fd.ToString(), "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "peer");
        var doc = result.Json();
        Assert.Equal(client.Inode, doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(accepted!.Inode, doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(server.Inode, doc.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Contains((scene.Pid, accepted.Fd), doc.GetProperty("peer").Holders());
        Assert.Contains(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Pid);

        var human = SockpeerCli.Run("peer", $"socket:[{client.Inode}]");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"python3[{scene.Pid}]:{accepted.Fd}", human.Stdout);
    }
}
