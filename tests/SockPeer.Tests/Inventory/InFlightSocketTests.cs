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
    private const string InFlight = """
        x, y = socket.socketpair()
        s, r = socket.socketpair()
        xi = ino(x)
        send_fds(s, [x.fileno()])
        x.close()
        report(x=xi, y=ino(y), y_fd=y.fileno(), s=ino(s), s_fd=s.fileno(), r=ino(r), r_fd=r.fileno())
        hold()
        """;

    private static string NetNsOf(Scenario scenario) => $"/proc/{scenario.Int("pid")}/ns/net";

    [SkippableFact]
    public void Library_marks_the_socket_in_flight_on_the_receiving_queue()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.StartInOwnNetNs(InFlight);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = NetNsOf(scenario) }).Read();

        var x = inventory.Find(scenario.Inode("x"))!;
        var y = inventory.Find(scenario.Inode("y"))!;
        var r = inventory.Find(scenario.Inode("r"))!;
        Assert.Empty(x.Holders);
        Assert.True(x.InFlight);
        Assert.Equal(r.Inode, x.InFlightOn);
        Assert.Equal(y.Inode, x.Peer);
        Assert.Equal(x.Inode, y.Peer);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("y_fd"))], y.Holders);
        Assert.False(y.InFlight);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("r_fd"))], r.Holders);
        Assert.False(r.InFlight);
        Assert.Equal(scenario.Inode("s"), r.Peer);
        Assert.Equal(1, inventory.Sockets.Count(s => s.InFlight));
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code is WarningCode.InFlightAmbiguous or WarningCode.InFlightQueueUnknown);
    }

    [SkippableFact]
    public void Cli_json_marks_the_socket_in_flight_on_the_receiving_queue()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.StartInOwnNetNs(InFlight);
        var list = SockpeerCli.Json("list", "--netns", NetNsOf(scenario));

        var x = list.Socket(scenario.Inode("x"));
        Assert.Empty(x.GetProperty("holders").EnumerateArray());
        Assert.True(x.Bool("inFlight"));
        Assert.Equal(scenario.Inode("r"), x.NullableUInt("inFlightOn"));
        Assert.Equal(scenario.Inode("y"), x.NullableUInt("peer"));
        var r = list.Socket(scenario.Inode("r"));
        Assert.False(r.Bool("inFlight"));
        Assert.Null(r.NullableUInt("inFlightOn"));
        Assert.Equal([(scenario.Int("pid"), scenario.Int("r_fd"))], r.Holders());
    }
}
