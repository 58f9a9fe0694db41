using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// A snapshot taken as whoever runs the tests. scripts/test runs this folder a second time with the
/// test host itself started as nobody (not root dropping privileges inside a test), where these
/// checks are the ones that differ: other users' fd tables are closed, which is a warning, and their
/// sockets are not taken to be in flight for want of a holder.
/// </summary>
public class CurrentUserTests
{
    private static SocketScene Connection() => SocketScene.Build()
        .Listen("own")
        .Connect("own", accept: 1)
        .Start();

    [Fact]
    public void Own_sockets_have_their_holders_and_what_could_not_be_inspected_is_said()
    {
        using var scene = Connection();
        var (ownClient, ownAccepted) = scene.Connection("own");
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        var client = inventory.Find(ownClient.Inode)!;
        Assert.Equal([new SocketHolder(scene.Pid, ownClient.Fd)], client.Holders);
        Assert.Equal(ownAccepted!.Inode, client.Peer);
        Assert.Equal(scene.Socket("own").Inode, inventory.Find(ownAccepted!.Inode)!.Listener);
        Assert.NotNull(inventory.FindProcess(scene.Pid));

        if (!Environment.IsPrivilegedProcess)
        {
            // pid 1 belongs to root: at least one process is closed to us, and that is said.
            var denied = Assert.Single(inventory.WarningDetails, w => w.Code == WarningCode.ProcessesDenied);
            Assert.True(denied.Count > 0);
            Assert.Equal(denied.Count, inventory.ProcessesNotInspected);
            Assert.Contains("run as root to see them", denied.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(inventory.Sockets, s => s.InFlight);
            Assert.Null(inventory.FindProcess(1));
        }
    }
}
