using SockPeer.Collection;
using SockPeer.Joining;
using SockPeer.Netlink;
using Xunit;
using static SockPeer.Tests.Joining.RawDumps;

namespace SockPeer.Tests.Joining;

/// <summary>The indexes on hand-built dumps: listeners by file and by exact name bytes per namespace, accept queues, reverse peers.</summary>
public class SocketIndexesTests
{
    [Fact]
    public void An_accepted_socket_finds_its_abstract_listener_by_exact_bytes_in_its_own_namespace()
    {
        byte[] name = [0, (byte)'a', 0, (byte)'b'];
        byte[] lookalike = [0, (byte)'a', (byte)'@', (byte)'b']; // /proc/net/unix would show both as @a@b
        var dump = new RawDump(
        [
            new RawSocket(Listener(1, name), 100),
            new RawSocket(Listener(2, lookalike), 100),
            new RawSocket(Listener(3, name), 200),
            new RawSocket(Stream(4, peer: 5, name: [.. name]), 100),
            new RawSocket(Stream(6, peer: 7, name: [.. name]), 200),
            new RawSocket(Stream(8, peer: 9, name: [.. lookalike]), 100),
            new RawSocket(Stream(10, peer: 11, name: [.. name]), 300),
        ], ListenerQueues.None, [], peersKnown: true);

        var x = SocketIndexes.Build(dump);

        Assert.Equal(1u, x.ListenerOf(dump.Sockets[3]));
        Assert.Equal(3u, x.ListenerOf(dump.Sockets[4]));
        Assert.Equal(2u, x.ListenerOf(dump.Sockets[5]));
        Assert.Null(x.ListenerOf(dump.Sockets[6])); // no listener of that name in namespace 300
        Assert.Null(x.ListenerOf(dump.Sockets[0])); // a listener has none
    }

    [Fact]
    public void A_pathname_listener_is_found_by_file_identity_not_by_name()
    {
        var listener = Listener(1, "/run/a.sock"u8.ToArray(), vfsInode: 77);
        var accepted = Stream(2, peer: 3, name: "/run/a.sock"u8.ToArray()) with { HasVfs = true, VfsInode = 77, VfsDevice = listener.VfsDevice };
        var rebound = Stream(4, peer: 5, name: "/run/a.sock"u8.ToArray()) with { HasVfs = true, VfsInode = 78, VfsDevice = listener.VfsDevice };
        var dump = Of(listener, accepted, rebound);

        var x = SocketIndexes.Build(dump);

        Assert.Equal(1u, x.ListenerOf(dump.Sockets[1]));
        Assert.Null(x.ListenerOf(dump.Sockets[2]));
    }

    [Fact]
    public void Pending_clients_and_reverse_peers_are_indexed()
    {
        var dump = Of(
            Listener(1, "/run/a.sock"u8.ToArray(), pending: 2),
            Stream(2, peer: 0),
            new UnixDiagRecord { Type = 2, State = UnixDiagState.Close, Inode = 20, Name = "/run/log"u8.ToArray() },
            new UnixDiagRecord { Type = 2, State = UnixDiagState.Established, Inode = 21, HasPeer = true, Peer = 20 },
            new UnixDiagRecord { Type = 2, State = UnixDiagState.Established, Inode = 22, HasPeer = true, Peer = 20 })
            .With(new Dictionary<uint, uint[]> { [1] = [2, 0] });

        var x = SocketIndexes.Build(dump);

        Assert.True(x.TryGetPendingOn(2, out uint on));
        Assert.Equal(1u, on);
        Assert.False(x.TryGetPendingOn(0, out _)); // a client that closed is no key
        Assert.Equal([21u, 22u], x.ClientsOf(20));
        Assert.Empty(x.ClientsOf(21));
    }
}
