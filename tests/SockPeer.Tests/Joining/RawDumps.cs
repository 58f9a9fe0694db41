using SockPeer.Collection;
using SockPeer.Netlink;

namespace SockPeer.Tests.Joining;

/// <summary>Hand-built raw dumps for the pure passes: records as sock_diag would give them.</summary>
internal static class RawDumps
{
    public static UnixDiagRecord Stream(uint inode, byte state = UnixDiagState.Established, uint? peer = null, byte[]? name = null, byte shutdown = 0)
        => new()
        {
            Type = 1,
            State = state,
            Inode = inode,
            Cookie = inode + 1000UL,
            HasPeer = peer is not null,
            Peer = peer ?? 0,
            Name = name,
            HasShutdown = true,
            Shutdown = shutdown,
        };

    public static UnixDiagRecord Listener(uint inode, byte[] name, uint pending = 0, uint backlog = 8, uint? vfsInode = null)
        => new()
        {
            Type = 1,
            State = UnixDiagState.Listen,
            Inode = inode,
            Cookie = inode + 1000UL,
            Name = name,
            HasVfs = vfsInode is not null,
            VfsInode = vfsInode ?? 0,
            VfsDevice = vfsInode is null ? 0 : (8u << 20) | 1,
            HasRqLen = true,
            RQueue = pending,
            WQueue = backlog,
            HasShutdown = true,
        };

    public static RawDump Of(params UnixDiagRecord[] records) => Of(null, records);

    public static RawDump Of(ulong? netns, params UnixDiagRecord[] records)
        => new(records.Select(r => new RawSocket(r, netns)).ToArray(), ListenerQueues.None, [], peersKnown: true);

    public static RawDump With(this RawDump dump, Dictionary<uint, uint[]> icons, params NamespaceCount[] counts)
        => new(dump.Sockets, new ListenerQueues(icons, new HashSet<uint>()), counts, dump.PeersKnown);
}
