using SockPeer.Collection;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Joining;

/// <summary>
/// Turns the raw records into the model: one <see cref="UnixSocket"/> per record, ordered by inode,
/// with its namespace, holders, file, peer or pending state, listener, accept queue and clients.
/// Pure: the only I/O, the file status, goes through <see cref="SocketFileCheck"/>'s probe.
/// </summary>
internal static class ModelProjection
{
    /// <summary>Projects every socket of <paramref name="dump"/>; <paramref name="scan"/> gives holders (null: none known).</summary>
    public static UnixSocket[] Project(RawDump dump, SocketIndexes indexes, ProcScanResult? scan, SocketFileCheck files)
    {
        var raw = dump.Sockets;
        int count = raw.Count;
        var sockets = new UnixSocket[count];
        var order = new int[count];
        var inodes = new uint[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
            inodes[i] = raw[i].Record.Inode;
        }
        Array.Sort(inodes, order); // by inode, with primitive keys rather than a comparison delegate

        for (int k = 0; k < count; k++)
        {
            IReadOnlyList<SocketHolder> holders = scan is null ? Array.Empty<SocketHolder>() : scan.HoldersOf(inodes[k]);
            sockets[k] = Project(dump, raw[order[k]], indexes, holders, files);
        }
        return sockets;
    }

    private static UnixSocket Project(RawDump dump, RawSocket s, SocketIndexes indexes, IReadOnlyList<SocketHolder> holders, SocketFileCheck files)
    {
        var r = s.Record;
        bool peersKnown = dump.PeersKnown;
        bool listening = r.State == UnixDiagState.Listen;
        bool isPendingClient = indexes.TryGetPendingOn(r.Inode, out uint waitingOn);
        // A client whose server half has no inode yet (not accepted) reports peer 0 like one whose
        // peer closed; only the latter has been shut down by the kernel.
        bool awaitingAccept = isPendingClient || (peersKnown && r.HasPeer && r.Peer == 0 && (r.Shutdown & 3) != 3
            && r.State == UnixDiagState.Established && r.Type != (byte)UnixSocketType.Dgram);
        uint? peer = peersKnown && r.HasPeer && !awaitingAccept ? r.Peer : null;
        bool pair = false;
        if (peer is uint pp && pp != 0 && r.Name is null && dump.Index.TryGetValue(pp, out int pIndex))
        {
            var p = dump.Sockets[pIndex].Record;
            pair = p.Name is null && p.HasPeer && p.Peer == r.Inode;
        }
        SocketFile? file = null;
        if (r.HasVfs)
        {
            file = files.File(r.Name, r.VfsDevice, r.VfsInode, holders);
        }
        var type = r.Type switch { 1 => UnixSocketType.Stream, 2 => UnixSocketType.Dgram, 5 => UnixSocketType.SeqPacket, _ => UnixSocketType.Unknown };
        var state = r.State switch { UnixDiagState.Listen => UnixSocketState.Listening, UnixDiagState.Established => UnixSocketState.Connected, _ => UnixSocketState.Unconnected };
        uint? listener = indexes.ListenerOf(s);
        uint[] clients = indexes.ClientsOf(r.Inode);
        var self = new EndFacts(r.Inode, r.Name is { Length: > 0 }, listener is not null);
        // The peer's facts matter only to tell the ends of a stream or seqpacket connection apart.
        EndFacts? peerEnd = type != UnixSocketType.Dgram && !pair ? PeerEnd(dump, indexes, peer) : null;
        var role = SocketRoleRules.Decide(type, state, self, peer, peerEnd, awaitingAccept, pair, clients.Length > 0, peersKnown);
        var icons = dump.Queues.Icons;
        uint[] pending = [];
        if (listening && icons.TryGetValue(r.Inode, out uint[]? ic))
        {
            pending = Array.FindAll(ic, x => x != 0);
        }
        return new UnixSocket
        {
            Inode = r.Inode,
            Cookie = r.Cookie,
            NetNs = s.NetNs,
            Type = type,
            State = state,
            Role = role,
            NameBytes = r.Name is { Length: > 0 } ? r.Name : null,
            File = file,
            Peer = peer,
            Listener = listener,
            PendingOn = isPendingClient ? waitingOn : null,
            AwaitingAccept = awaitingAccept,
            Pending = pending,
            PendingCount = listening && r.HasRqLen ? r.RQueue : null,
            PendingPartial = dump.Queues.Partial.Contains(r.Inode) || (listening && r.HasRqLen && pending.Length < r.RQueue && !icons.ContainsKey(r.Inode)),
            Backlog = listening && r.HasRqLen ? r.WQueue : null,
            Clients = clients,
            IsSocketPair = pair,
            // For a listener the kernel's RQLEN is (pending, backlog): schema 1 documents them so, as ss -xl shows them.
            RecvQueue = r.RQueue,
            SendQueue = r.WQueue,
            Shutdown = (r.Shutdown & 3) switch { 1 => ShutdownState.Read, 2 => ShutdownState.Write, 3 => ShutdownState.Both, _ => ShutdownState.None },
            Uid = r.HasUid ? r.Uid : null,
            Holders = holders,
            PeerMended = s.PeerMended,
        };
    }

    /// <summary>The peer's facts for the role rules, when its record is in the dump.</summary>
    private static EndFacts? PeerEnd(RawDump dump, SocketIndexes indexes, uint? peer)
    {
        if (peer is not uint p || p == 0 || !dump.Index.TryGetValue(p, out int i))
        {
            return null;
        }
        var other = dump.Sockets[i];
        return new EndFacts(p, other.Record.Name is { Length: > 0 }, indexes.ListenerOf(other) is not null);
    }
}
