using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>An abstract name with a NUL inside it: exact bytes, an escaped display form, listener found by name.</summary>
public class AbstractNameWithNulTests
{
    /// <summary>The abstract name after its leading NUL: "sp-test", a NUL, "x-" and a random suffix.</summary>
    private readonly string _suffix = Convert.ToHexString(Guid.NewGuid().ToByteArray()[..8]).ToLowerInvariant();

    private byte[] Name => [.. "sp-test\0x-"u8, .. System.Text.Encoding.ASCII.GetBytes(_suffix)];

    private SocketScene AbstractListener() => SocketScene.Build()
        .Listen("abstract", abstractName: Name)
        .Connect("abstract", accept: 1)
        .Start();

    private byte[] NameBytes() => [0, .. Name];

    // Display form: '@' for the leading NUL, the inner NUL as \x00.
    private string Display() => "@sp-test\\x00x-" + _suffix;

    [Fact]
    public void Library_keeps_the_exact_bytes_and_finds_the_listener_by_name()
    {
        using var scene = AbstractListener();
        var listenerEnd = scene.Socket("abstract");
        var (clientEnd, acceptedEnd) = scene.Connection("abstract");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(listenerEnd.Inode)!;
        var accepted = inventory.Find(acceptedEnd!.Inode)!;
        var client = inventory.Find(clientEnd.Inode)!;
        byte[] name = NameBytes();
        Assert.Equal(0, name[0]);
        Assert.Equal(0, name[8]);
        Assert.Equal(name, listener.NameBytes);
        Assert.Equal(name, accepted.NameBytes);
        Assert.True(listener.IsAbstract);
        Assert.True(accepted.IsAbstract);
        Assert.Null(listener.File);
        Assert.Equal(Display(), listener.Name);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Null(client.NameBytes);
        Assert.Null(client.Listener);
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal([new SocketHolder(scene.Pid, listenerEnd.Fd)], listener.Holders);
    }

    [Fact]
    public void Cli_json_has_base64_bytes_with_the_leading_nul_and_an_escaped_name()
    {
        using var scene = AbstractListener();
        var listenerEnd = scene.Socket("abstract");
        var (clientEnd, acceptedEnd) = scene.Connection("abstract");
        var list = SockpeerCli.ListOf(scene.Pid);

        var listener = list.Socket(listenerEnd.Inode);
        var accepted = list.Socket(acceptedEnd!.Inode);
        string base64 = Convert.ToBase64String(NameBytes());
        foreach (var s in new[] { listener, accepted })
        {
            Assert.True(s.Bool("abstract"));
            Assert.Equal(base64, s.Str("nameBytes"));
            string name = s.Str("name")!;
            Assert.StartsWith("@", name);
            Assert.Equal(Display(), name);
            Assert.DoesNotContain('\0', name);
            Assert.Contains("\\x00", name);
        }
        Assert.Equal(listenerEnd.Inode, accepted.NullableUInt("listener"));
        Assert.Equal(clientEnd.Inode, accepted.NullableUInt("peer"));
        Assert.Equal(acceptedEnd!.Inode, list.Socket(clientEnd.Inode).NullableUInt("peer"));
    }
}
