using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>SOCK_SEQPACKET listener, accepted socket and client (in a child process): joined like stream.</summary>
public class SeqPacketConnectionTests
{
    private const string SeqPacket = """
        path = os.path.join(sys.argv[1], "seq.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        srv.bind(path)
        srv.listen(4)
        r, w = os.pipe()
        if os.fork() == 0:
            srv.close()
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            c.connect(path)
            child_report(w, client_pid=os.getpid(), client_fd=c.fileno(), client=ino(c))
            hold()
        rep = read_report(r)
        acc, _ = srv.accept()
        ready(path=path, listener=ino(srv), listener_fd=srv.fileno(), accepted=ino(acc), accepted_fd=acc.fileno(), **rep)
        hold()
        """;

    [Fact]
    public void Library_joins_seqpacket_like_stream()
    {
        using var scenario = Scenario.Start(SeqPacket);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        var accepted = inventory.Find(scenario.Inode("accepted"))!;
        var client = inventory.Find(scenario.Inode("client"))!;
        Assert.All(new[] { listener, accepted, client }, s => Assert.Equal(UnixSocketType.SeqPacket, s.Type));
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(UnixSocketState.Connected, client.State);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Null(listener.Peer);
        Assert.Null(client.Listener);
        Assert.Empty(accepted.Clients);
        Assert.False(accepted.IsSocketPair);
        Assert.Equal(scenario.Str("path"), accepted.Name);
        Assert.Equal(0u, listener.PendingCount);
        Assert.Equal(4u, listener.Backlog);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("accepted_fd"))], accepted.Holders);
        Assert.Equal([new SocketHolder(scenario.Int("client_pid"), scenario.Int("client_fd"))], client.Holders);
    }

    [Fact]
    public void Cli_json_joins_seqpacket_like_stream()
    {
        using var scenario = Scenario.Start(SeqPacket);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var listener = list.Socket(scenario.Inode("listener"));
        var accepted = list.Socket(scenario.Inode("accepted"));
        var client = list.Socket(scenario.Inode("client"));
        Assert.All(new[] { listener, accepted, client }, s => Assert.Equal("seqpacket", s.Str("type")));
        Assert.Equal("listening", listener.Str("state"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("accepted"), client.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.Equal([(scenario.Int("client_pid"), scenario.Int("client_fd"))], client.Holders());
    }
}
