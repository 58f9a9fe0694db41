using SockPeer.Collection;
using SockPeer.Model;
using SockPeer.Netlink;

namespace SockPeer.Joining;

/// <summary>
/// The lookups the projection needs, built once over the (mended) dump: which listener an accepted
/// socket came from, which listener a pending client waits on, and which sockets name a socket as
/// their peer without it naming them (a datagram server's clients). An accepted socket carries its
/// listener's NAME and VFS: a pathname listener is found by its file identity, an abstract one by its
/// exact name bytes within one namespace.
/// </summary>
internal sealed class SocketIndexes
{
    private readonly Dictionary<(uint Device, uint Inode), uint> _listenerByFile = [];
    private readonly Dictionary<NameInNamespace, uint> _listenerByName = [];
    private readonly Dictionary<uint, uint> _pendingOn = [];
    private readonly Dictionary<uint, List<uint>> _clients = [];

    private SocketIndexes()
    {
    }

    /// <summary>Builds every index over <paramref name="dump"/>.</summary>
    public static SocketIndexes Build(RawDump dump)
    {
        var x = new SocketIndexes();
        var sockets = dump.Sockets;
        foreach (var s in sockets)
        {
            var r = s.Record;
            if (r.State != UnixDiagState.Listen)
            {
                continue;
            }
            if (r.HasVfs)
            {
                x._listenerByFile[(r.VfsDevice, r.VfsInode)] = r.Inode;
            }
            else if (r.Name is { Length: > 0 } n && n[0] == 0)
            {
                x._listenerByName[new NameInNamespace(s.NetNs, n)] = r.Inode;
            }
            if (dump.Queues.Icons.TryGetValue(r.Inode, out uint[]? waiting))
            {
                foreach (uint c in waiting)
                {
                    if (c != 0)
                    {
                        x._pendingOn[c] = r.Inode;
                    }
                }
            }
        }

        // Reverse peers: who names each socket as its peer while it does not name them back.
        foreach (var s in sockets)
        {
            var r = s.Record;
            if (!r.HasPeer || r.Peer == 0 || !dump.Index.TryGetValue(r.Peer, out int pi))
            {
                continue;
            }
            var p = sockets[pi].Record;
            if (!(p.HasPeer && p.Peer == r.Inode))
            {
                if (!x._clients.TryGetValue(r.Peer, out var list))
                {
                    x._clients[r.Peer] = list = [];
                }
                list.Add(r.Inode);
            }
        }
        return x;
    }

    /// <summary>For a connected stream or seqpacket socket bound to a listener's name: that listener.</summary>
    public uint? ListenerOf(RawSocket socket)
    {
        var r = socket.Record;
        if (r.State == UnixDiagState.Listen || r.Type == (byte)UnixSocketType.Dgram || r.Name is not { Length: > 0 } name)
        {
            return null;
        }
        if (r.HasVfs)
        {
            return _listenerByFile.TryGetValue((r.VfsDevice, r.VfsInode), out uint l) ? l : null;
        }
        return name[0] == 0 && _listenerByName.TryGetValue(new NameInNamespace(socket.NetNs, name), out uint la) ? la : null;
    }

    /// <summary>The listener whose accept queue lists <paramref name="inode"/>.</summary>
    public bool TryGetPendingOn(uint inode, out uint listener) => _pendingOn.TryGetValue(inode, out listener);

    /// <summary>Sockets that name <paramref name="inode"/> as their peer without being named back, in dump order.</summary>
    public uint[] ClientsOf(uint inode) => _clients.TryGetValue(inode, out var list) ? [.. list] : [];

    /// <summary>An abstract name in one namespace, compared by its exact bytes.</summary>
    private readonly struct NameInNamespace(ulong? netns, byte[] name) : IEquatable<NameInNamespace>
    {
        private readonly ulong? _netns = netns;
        private readonly byte[] _name = name;

        public bool Equals(NameInNamespace other) => _netns == other._netns && _name.AsSpan().SequenceEqual(other._name);

        public override bool Equals(object? obj) => obj is NameInNamespace other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_netns);
            hash.AddBytes(_name);
            return hash.ToHashCode();
        }
    }
}
