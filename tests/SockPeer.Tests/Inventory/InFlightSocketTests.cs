using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// One end of a socketpair (x, y) is sent with SCM_RIGHTS over a connected pair (s, r) and closed by the
/// sender; nobody receives it, so it waits on r's queue and no process holds it.
/// The engine can name the queue only when it is the only one holding descriptors among the sockets it
/// looks at: the scenario runs in a network namespace of its own, and the snapshot covers only that one,
/// so that other tests' queues on the host cannot make the answer ambiguous.
/// </summary>
public class InFlightSocketTests
{
    /// <summary>In a network namespace of its own: x (pair xy's end a) sent over s (pair sr's end a), waiting on r's queue.</summary>
    private static SocketScene InFlight() => SocketScene.Build()
        .InNewNetNs()
        .Pair("xy")
        .Pair("sr")
        .SendInFlight("sr.a", "xy.a")
        .Start();

    private static string NetNsOf(SocketScene scene) => $"/proc/{scene.Pid}/ns/net";

    [SkippableFact]
    public void Library_marks_the_socket_in_flight_on_the_receiving_queue()
    {
        Ns.RequireRoot();
        using var scene = InFlight();

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = NetNsOf(scene) }).Read();

        var x = inventory.Find(scene.Inode("xy.a"))!;
        var y = inventory.Find(scene.Inode("xy.b"))!;
        var r = inventory.Find(scene.Inode("sr.b"))!;
        Assert.Empty(x.Holders);
        Assert.True(x.InFlight);
        Assert.Equal(r.Inode, x.InFlightOn);
        Assert.Equal(y.Inode, x.Peer);
        Assert.Equal(x.Inode, y.Peer);
        Assert.Equal([new SocketHolder(scene.Pid, scene.Socket("xy.b").Fd)], y.Holders);
        Assert.False(y.InFlight);
        Assert.Equal([new SocketHolder(scene.Pid, scene.Socket("sr.b").Fd)], r.Holders);
        Assert.False(r.InFlight);
        Assert.Equal(scene.Inode("sr.a"), r.Peer);
        Assert.Equal(1, inventory.Sockets.Count(s => s.InFlight));
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code is WarningCode.InFlightAmbiguous or WarningCode.InFlightQueueUnknown);
    }

    [SkippableFact]
    public void Cli_json_marks_the_socket_in_flight_on_the_receiving_queue()
    {
        Ns.RequireRoot();
        using var scene = InFlight();

        var list = SockpeerCli.Json("list", "--netns", NetNsOf(scene));

        var x = list.Socket(scene.Inode("xy.a"));
        Assert.Empty(x.GetProperty("holders").EnumerateArray());
        Assert.True(x.Bool("inFlight"));
        Assert.Equal(scene.Inode("sr.b"), x.NullableUInt("inFlightOn"));
        Assert.Equal(scene.Inode("xy.b"), x.NullableUInt("peer"));
        var r = list.Socket(scene.Inode("sr.b"));
        Assert.False(r.Bool("inFlight"));
        Assert.Null(r.NullableUInt("inFlightOn"));
        Assert.Equal([(scene.Pid, scene.Socket("sr.b").Fd)], r.Holders());
    }
}
