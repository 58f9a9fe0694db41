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
    /// <summary>100 stream and 100 seqpacket pairs whose end b closed (a still refers to it), and 20 datagram clients of a server that has closed.</summary>
    private static SocketScene HalfClosed()
    {
        var scene = SocketScene.Build();
        foreach (var type in new[] { SceneType.Stream, SceneType.SeqPacket })
        {
            for (int i = 0; i < 100; i++)
            {
                scene.Pair($"{type}{i}", type).Close($"{type}{i}.b");
            }
        }
        return scene.Bind("gone", file: "gone.dgram").Connect("gone", clients: 20).Close("gone").Start();
    }

    private static uint[] Survivors(SocketScene scene)
        => [.. new[] { SceneType.Stream, SceneType.SeqPacket }.SelectMany(type => Enumerable.Range(0, 100).Select(i => scene.Inode($"{type}{i}.a")))];

    /// <summary>40 clients connect and close: their connections stay in the accept queue, and the closed clients stay counted.</summary>
    private static SocketScene PendingOfClosedClients()
    {
        var scene = SocketScene.Build().Listen("closed-clients", backlog: 64).Connect("closed-clients", clients: 40);
        for (int i = 0; i < 40; i++)
        {
            scene.Close($"closed-clients.client{i}");
        }
        return scene.Start();
    }

    [Fact]
    public void Pending_connections_of_closed_clients_do_not_make_the_count_check_claim_missing_sockets()
    {
        using var scene = PendingOfClosedClients();
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, ResolveHolders = false }).Read();
        foreach (var w in inventory.Warnings)
        {
            output.WriteLine($"warning: {w}");
        }
        var listener = inventory.Find(scene.Inode("closed-clients"))!;
        Assert.Equal(40u, listener.PendingCount);
        Assert.Empty(listener.Pending);
        Assert.False(listener.PendingPartial);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Sockets_whose_peer_closed_do_not_make_the_count_check_claim_missing_sockets()
    {
        using var scene = HalfClosed();
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, ResolveHolders = false }).Read();
        foreach (var w in inventory.Warnings)
        {
            output.WriteLine($"warning: {w}");
        }
        foreach (var inode in Survivors(scene))
        {
            Assert.Equal(0u, inventory.Find(inode)!.Peer);
        }
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("may be missing", StringComparison.Ordinal));
    }
}
