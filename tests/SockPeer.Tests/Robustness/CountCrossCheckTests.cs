using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// The engine compares the number of sockets sock_diag returned with the kernel's in-use count
/// (/proc/net/protocols). A socket whose peer closed keeps the closed one counted (it still holds a
/// reference to it) although the closed socket is gone from the table and from every dump. Under churn
/// this is the normal state of many connections: it must not read as "sockets may be missing".
/// </summary>
[Collection(RobustnessCollection.Name)]
public class CountCrossCheckTests(ITestOutputHelper output)
{
    private const string HalfClosed = """
        keep = []
        for kind in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
            for _ in range(100):
                a, b = socket.socketpair(socket.AF_UNIX, kind)
                b.close()  # a still refers to the closed b
                keep.append(a)
        # Datagram clients of a server that has closed.
        path = os.path.join(sys.argv[1], "gone.dgram")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        srv.bind(path)
        clients = []
        for _ in range(20):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            c.connect(path)
            clients.append(c)
        srv.close()
        ready(survivors=[ino(s) for s in keep], clients=[ino(c) for c in clients])
        hold()
        """;

    private const string PendingOfClosedClients = """
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(os.path.join(sys.argv[1], "closed-clients.sock"))
        srv.listen(64)
        for _ in range(40):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(srv.getsockname())
            c.close()  # the connection stays in the accept queue; the closed client stays counted
        ready(listener=ino(srv))
        hold()
        """;

    [Fact]
    public void Pending_connections_of_closed_clients_do_not_make_the_count_check_claim_missing_sockets()
    {
        using var scenario = Scenario.Start(PendingOfClosedClients);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, ResolveHolders = false }).Read();
        foreach (var w in inventory.Warnings)
        {
            output.WriteLine($"warning: {w}");
        }
        var listener = inventory.Find(scenario.Inode("listener"))!;
        Assert.Equal(40u, listener.PendingCount);
        Assert.Empty(listener.Pending);
        Assert.False(listener.PendingPartial);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Sockets_whose_peer_closed_do_not_make_the_count_check_claim_missing_sockets()
    {
        using var scenario = Scenario.Start(HalfClosed);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, ResolveHolders = false }).Read();
        foreach (var w in inventory.Warnings)
        {
            output.WriteLine($"warning: {w}");
        }
        foreach (var inode in scenario.Info.GetProperty("survivors").EnumerateArray().Select(x => x.GetUInt32()))
        {
            Assert.Equal(0u, inventory.Find(inode)!.Peer);
        }
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal));
    }
}
