using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>An abstract name with a NUL inside it: exact bytes, an escaped display form, listener found by name.</summary>
public class AbstractNameWithNulTests
{
    private const string AbstractListener = """
        name = b"\0sp-test\0x-" + os.urandom(8).hex().encode()
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(name)
        srv.listen(4)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        acc, _ = srv.accept()
        ready(name_hex=name.hex(), suffix=name[11:].decode(), listener=ino(srv), listener_fd=srv.fileno(),
              accepted=ino(acc), accepted_fd=acc.fileno(), client=ino(c), client_fd=c.fileno())
        hold()
        """;

    private static byte[] NameBytes(Scenario s) => Convert.FromHexString(s.Str("name_hex"));

    // Display form: '@' for the leading NUL, the inner NUL as \x00.
    private static string Display(Scenario s) => "@sp-test\\x00x-" + s.Str("suffix");

    [Fact]
    public void Library_keeps_the_exact_bytes_and_finds_the_listener_by_name()
    {
        using var scenario = Scenario.Start(AbstractListener);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        var accepted = inventory.Find(scenario.Inode("accepted"))!;
        var client = inventory.Find(scenario.Inode("client"))!;
        byte[] name = NameBytes(scenario);
        Assert.Equal(0, name[0]);
        Assert.Equal(0, name[8]);
        Assert.Equal(name, listener.NameBytes);
        Assert.Equal(name, accepted.NameBytes);
        Assert.True(listener.IsAbstract);
        Assert.True(accepted.IsAbstract);
        Assert.Null(listener.File);
        Assert.Equal(Display(scenario), listener.Name);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Null(client.NameBytes);
        Assert.Null(client.Listener);
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("listener_fd"))], listener.Holders);
    }

    [Fact]
    public void Cli_json_has_base64_bytes_with_the_leading_nul_and_an_escaped_name()
    {
        using var scenario = Scenario.Start(AbstractListener);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var listener = list.Socket(scenario.Inode("listener"));
        var accepted = list.Socket(scenario.Inode("accepted"));
        string base64 = Convert.ToBase64String(NameBytes(scenario));
        foreach (var s in new[] { listener, accepted })
        {
            Assert.True(s.Bool("abstract"));
            Assert.Equal(base64, s.Str("nameBytes"));
            string name = s.Str("name")!;
            Assert.StartsWith("@", name);
            Assert.Equal(Display(scenario), name);
            Assert.DoesNotContain('\0', name);
            Assert.Contains("\\x00", name);
        }
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("accepted"), list.Socket(scenario.Inode("client")).NullableUInt("peer"));
    }
}
