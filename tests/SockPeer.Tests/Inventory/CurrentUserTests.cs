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
    private const string Connection = """
        path = os.path.join(sys.argv[1], "own.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(4)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        a, _ = srv.accept()
        ready(listener=ino(srv), client=ino(c), client_fd=c.fileno(), accepted=ino(a), accepted_fd=a.fileno())
        hold()
        """;

    [Fact]
    public void Own_sockets_have_their_holders_and_what_could_not_be_inspected_is_said()
    {
        using var scenario = Scenario.Start(Connection);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        var client = inventory.Find(scenario.Inode("client"))!;
        Assert.Equal([new SocketHolder(scenario.Pid, scenario.Int("client_fd"))], client.Holders);
        Assert.Equal(scenario.Inode("accepted"), client.Peer);
        Assert.Equal(scenario.Inode("listener"), inventory.Find(scenario.Inode("accepted"))!.Listener);
        Assert.NotNull(inventory.FindProcess(scenario.Pid));

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
