using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// Socket A listens on a path; the path is unlinked and socket B binds and listens there. Socket inodes
/// come from per-CPU batches, so the newer socket can have the lower inode: both orders are made on
/// purpose (the script creates both sockets first and gives the lower or higher inode to B).
/// </summary>
public class ReplacedSocketFileTests
{
    private static string Replaced(bool newerHasLowerInode) => $"newer_lower = {(newerHasLowerInode ? "True" : "False")}\n" + """
        path = os.path.join(sys.argv[1], "replaced.sock")
        s1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lo, hi = sorted([s1, s2], key=ino)
        a, b = (hi, lo) if newer_lower else (lo, hi)
        a.bind(path)
        a.listen(4)
        os.unlink(path)
        b.bind(path)
        b.listen(4)
        ready(path=path, a=ino(a), a_fd=a.fileno(), b=ino(b), b_fd=b.fileno())
        hold()
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Library_reports_the_old_file_replaced_and_the_new_one_ok(bool newerHasLowerInode)
    {
        using var scenario = Scenario.Start(Replaced(newerHasLowerInode));
        Assert.Equal(newerHasLowerInode, scenario.Inode("b") < scenario.Inode("a"));
        var inventory = new SocketInventoryReader().Read();

        var a = inventory.Find(scenario.Inode("a"))!;
        var b = inventory.Find(scenario.Inode("b"))!;
        Assert.Equal(scenario.Str("path"), a.Name);
        Assert.Equal(scenario.Str("path"), b.Name);
        Assert.Equal(SocketFileStatus.Replaced, a.File!.Status);
        Assert.Equal(SocketFileStatus.Ok, b.File!.Status);
        Assert.NotEqual(a.File.Inode, b.File.Inode);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("a_fd"))], a.Holders);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("b_fd"))], b.Holders);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cli_json_reports_the_old_file_replaced_and_the_new_one_ok(bool newerHasLowerInode)
    {
        using var scenario = Scenario.Start(Replaced(newerHasLowerInode));
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        Assert.Equal("replaced", list.Socket(scenario.Inode("a")).GetProperty("file").Str("status"));
        Assert.Equal("ok", list.Socket(scenario.Inode("b")).GetProperty("file").Str("status"));
    }

    [Fact]
    public void Who_lists_the_new_socket_as_listener_and_the_old_one_as_stale()
    {
        using var scenario = Scenario.Start(Replaced(newerHasLowerInode: false));
        var who = SockpeerCli.Who(scenario.Str("path"));

        Assert.Equal(scenario.Str("path"), who.Str("path"));
        Assert.Equal([scenario.Inode("b")], who.GetProperty("listeners").InodesOf());
        Assert.Equal([scenario.Inode("a")], who.GetProperty("stale").InodesOf());
        Assert.Equal("replaced", who.GetProperty("stale")[0].GetProperty("file").Str("status"));
        Assert.Equal("ok", who.GetProperty("listeners")[0].GetProperty("file").Str("status"));
        Assert.Empty(who.GetProperty("connections").EnumerateArray());
    }
}
