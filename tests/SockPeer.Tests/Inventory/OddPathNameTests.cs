using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A socket path with a space, a newline and a byte that is not UTF-8.</summary>
public class OddPathNameTests
{
    // .NET cannot name a file whose name is not UTF-8, so Scenario could not delete it: the script does.
    private const string Unlinking = """
        def hold_then_unlink(path):
            try:
                sys.stdin.read()
            except Exception:
                pass
            os.unlink(path)
            os._exit(0)
        """;

    private const string OddPath = Unlinking + "\n" + """
        d = os.fsencode(sys.argv[1])
        p = d + b"/a b\nc\xff.sock"
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(p)
        srv.listen(4)
        ready(dir=sys.argv[1], path_hex=p.hex(), listener=ino(srv), listener_fd=srv.fileno())
        hold_then_unlink(p)
        """;

    // Two listeners whose paths differ only in a byte that is not UTF-8; one path is unlinked.
    private const string TwinPaths = Unlinking + "\n" + """
        d = os.fsencode(sys.argv[1])
        gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        gone.bind(d + b"/x\xfe.sock")
        gone.listen(1)
        os.unlink(d + b"/x\xfe.sock")
        live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        live.bind(d + b"/x\xff.sock")
        live.listen(1)
        ready(gone=ino(gone), live=ino(live))
        hold_then_unlink(d + b"/x\xff.sock")
        """;

    private static string Display(Scenario s) => s.Str("dir") + "/a b\\nc\\xff.sock";

    [Fact]
    public void Library_keeps_the_exact_bytes_and_escapes_the_display_name()
    {
        using var scenario = Scenario.Start(OddPath);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        Assert.Equal(Convert.FromHexString(scenario.Str("path_hex")), listener.NameBytes);
        Assert.Equal(Display(scenario), listener.Name);
        Assert.DoesNotContain(listener.Name!, char.IsControl);
        Assert.False(listener.IsAbstract);
        Assert.Equal(SocketFileStatus.Ok, listener.File!.Status);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("listener_fd"))], listener.Holders);
    }

    [Fact]
    public void Cli_json_has_the_exact_bytes_and_an_escaped_name()
    {
        using var scenario = Scenario.Start(OddPath);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var listener = list.Socket(scenario.Inode("listener"));
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(scenario.Str("path_hex"))), listener.Str("nameBytes"));
        string name = listener.Str("name")!;
        Assert.Equal(Display(scenario), name);
        Assert.DoesNotContain(name, char.IsControl);
        Assert.DoesNotContain('\uFFFD', name);
        Assert.Equal("ok", listener.GetProperty("file").Str("status"));
    }

    [Fact]
    public void Human_list_shows_the_socket_on_one_line()
    {
        using var scenario = Scenario.Start(OddPath);
        var result = SockpeerCli.Run("list", "--pid", scenario.Int("pid").ToString());
        Assert.Equal(0, result.ExitCode);

        string[] lines = result.Stdout.Split('\n');
        string inode = "#" + scenario.Inode("listener");
        var line = Assert.Single(lines, l => l.Contains(inode + " ", StringComparison.Ordinal));
        Assert.EndsWith(Display(scenario), line);
        // Nothing of the name spills onto a line of its own.
        Assert.DoesNotContain(lines, l => l.StartsWith('c') && l.Contains(".sock", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("a b", StringComparison.Ordinal));
        Assert.DoesNotContain('\uFFFD', result.Stdout);
        Assert.DoesNotContain('\r', result.Stdout);
    }

    [Fact]
    public void Paths_that_differ_only_in_a_non_utf8_byte_each_get_their_own_file_status()
    {
        using var scenario = Scenario.Start(TwinPaths);
        var inventory = new SocketInventoryReader().Read();

        Assert.Equal(SocketFileStatus.Deleted, inventory.Find(scenario.Inode("gone"))!.File!.Status);
        Assert.Equal(SocketFileStatus.Ok, inventory.Find(scenario.Inode("live"))!.File!.Status);

        var list = SockpeerCli.ListOf(scenario.Int("pid"));
        Assert.Equal("deleted", list.Socket(scenario.Inode("gone")).GetProperty("file").Str("status"));
        Assert.Equal("ok", list.Socket(scenario.Inode("live")).GetProperty("file").Str("status"));
    }
}
