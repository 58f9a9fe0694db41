using System.Buffers.Binary;
using SockPeer.Model;

namespace SockPeer.Ebpf;

/// <summary>What the kernel reported.</summary>
public enum UnixKernelEventKind
{
    /// <summary>connect(2) on a stream or seqpacket socket succeeded: the client end is <see cref="UnixKernelEvent.Inode"/>.</summary>
    Connect = 1,
    /// <summary>accept(2) returned a connection: the server end is <see cref="UnixKernelEvent.Inode"/>, the client <see cref="UnixKernelEvent.PeerInode"/>.</summary>
    Accept = 2,
    /// <summary>
    /// The last descriptor of a listening socket, or of the first end of a connection to go, went
    /// away: the socket is released. The other end's release is not reported (its peer is gone),
    /// except when the two closes race.
    /// </summary>
    Close = 3,
}

/// <summary>How a socket's last descriptor went away.</summary>
public enum UnixCloseReason
{
    /// <summary>Not a close.</summary>
    None = 0,
    /// <summary>close(2).</summary>
    Close = 1,
    /// <summary>The last process holding it exited.</summary>
    Exit = 2,
}

/// <summary>
/// One AF_UNIX connect, accept or close as the eBPF program saw it, with the process that did it.
/// Socket inodes are those of <see cref="UnixSocket.Inode"/> (system-wide), so an event joins a snapshot.
/// </summary>
public sealed record UnixKernelEvent
{
    /// <summary>What happened.</summary>
    public required UnixKernelEventKind Kind { get; init; }
    /// <summary>When, from the kernel's monotonic clock, as wall time.</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>The kernel's CLOCK_MONOTONIC in nanoseconds, for durations between events.</summary>
    public required ulong MonotonicNanoseconds { get; init; }
    /// <summary>The process (thread group) that made the call or exited.</summary>
    public required int Pid { get; init; }
    /// <summary>The thread.</summary>
    public int Tid { get; init; }
    /// <summary>Its real uid.</summary>
    public uint Uid { get; init; }
    /// <summary>Its command (comm), at most 15 bytes.</summary>
    public required string Command { get; init; }
    /// <summary>The descriptor the call used or returned.</summary>
    public int Fd { get; init; }
    /// <summary>The socket the event is about: the client for connect, the server end for accept.</summary>
    public required uint Inode { get; init; }
    /// <summary>The other end's inode; 0 when it has none (a connect's server half is not accepted yet).</summary>
    public uint PeerInode { get; init; }
    /// <summary>The network namespace of the socket.</summary>
    public ulong NetNs { get; init; }
    /// <summary>Stream or seqpacket.</summary>
    public UnixSocketType Type { get; init; }
    /// <summary>Close: the socket was a listener.</summary>
    public bool Listening { get; init; }
    /// <summary>Close: how.</summary>
    public UnixCloseReason CloseReason { get; init; }
    /// <summary>
    /// The socket name: the listener's for connect and accept; for close the socket's own, or when it
    /// is unnamed its peer's (so a client's close names the listener it reached); null when unnamed.
    /// </summary>
    public byte[]? NameBytes { get; init; }
    /// <summary>
    /// The kernel socket as an opaque identity, valid while it exists (the same socket gives the same
    /// value in every event of one source): joins an accept to its client's connect when the client
    /// closed first and has no inode left to name.
    /// </summary>
    public ulong SocketId { get; init; }
    /// <summary>The other end's <see cref="SocketId"/>; 0 when it has none (a connect's server half is named here, not yet accepted).</summary>
    public ulong PeerSocketId { get; init; }
    /// <summary>Display text of the name.</summary>
    public string? Name => NameBytes is null ? null : SocketName.Display(NameBytes);
}

/// <summary>Parses the ring buffer's records (struct sockpeer_event in bpf/unix_events.h).</summary>
internal static class UnixKernelEventParser
{
    public const int Size = 216;
    private const int CommOffset = 52;
    private const int NameOffset = 68;
    private const int NameMax = 108;

    /// <summary>Reads one record; false for a record of another size or kind.</summary>
    public static bool TryParse(ReadOnlySpan<byte> record, long monotonicToUnixNs, out UnixKernelEvent? e)
    {
        e = null;
        if (record.Length < Size)
        {
            return false;
        }
        ulong time = BinaryPrimitives.ReadUInt64LittleEndian(record);
        uint kind = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
        if (kind is < 1 or > 3)
        {
            return false;
        }
        uint nameLen = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(record[44..]), NameMax);
        var comm = record.Slice(CommOffset, 16);
        int commLen = comm.IndexOf((byte)0);
        ushort state = BinaryPrimitives.ReadUInt16LittleEndian(record[42..]);
        e = new UnixKernelEvent
        {
            Kind = (UnixKernelEventKind)kind,
            MonotonicNanoseconds = time,
            Time = DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks(((long)time + monotonicToUnixNs) / 100),
            Pid = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[12..]),
            Tid = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[16..]),
            Uid = BinaryPrimitives.ReadUInt32LittleEndian(record[20..]),
            Inode = BinaryPrimitives.ReadUInt32LittleEndian(record[24..]),
            PeerInode = BinaryPrimitives.ReadUInt32LittleEndian(record[28..]),
            Fd = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[32..]),
            NetNs = BinaryPrimitives.ReadUInt32LittleEndian(record[36..]),
            Type = BinaryPrimitives.ReadUInt16LittleEndian(record[40..]) switch { 1 => UnixSocketType.Stream, 5 => UnixSocketType.SeqPacket, 2 => UnixSocketType.Dgram, _ => UnixSocketType.Unknown },
            Listening = state == 10,
            CloseReason = (UnixCloseReason)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(record[48..]), 2),
            Command = Commands.Get(comm[..(commLen < 0 ? 16 : commLen)]),
            NameBytes = Names.Get(record.Slice(NameOffset, (int)nameLen)),
            SocketId = BinaryPrimitives.ReadUInt64LittleEndian(record[200..]),
            PeerSocketId = BinaryPrimitives.ReadUInt64LittleEndian(record[208..]),
        };
        return true;
    }

    /// <summary>
    /// Command names, made once each: a busy host's events come from a few commands, and a string per
    /// event was a tenth of the watcher's allocations. Per thread (each tracker drains on its own), bounded.
    /// </summary>
    private static class Commands
    {
        [ThreadStatic]
        private static Dictionary<string, string>? t_known;

        public static string Get(ReadOnlySpan<byte> comm)
        {
            var known = t_known ??= new Dictionary<string, string>(StringComparer.Ordinal);
            Span<char> chars = stackalloc char[16];
            int n = System.Text.Encoding.UTF8.GetChars(comm, chars);
            var byChars = known.GetAlternateLookup<ReadOnlySpan<char>>();
            if (byChars.TryGetValue(chars[..n], out string? name))
            {
                return name;
            }
            if (known.Count >= 4096)
            {
                known.Clear();
            }
            name = new string(chars[..n]);
            known[name] = name;
            return name;
        }
    }

    /// <summary>
    /// Socket names as the engine keeps them (a pathname up to its first NUL, an abstract name, leading
    /// NUL, exactly), one array per recent name: most events name one of a few listeners, and an array
    /// per event was most of what parsing allocated. The arrays are shared: never written to. Per thread.
    /// </summary>
    private static class Names
    {
        private const int Kept = 16;
        [ThreadStatic]
        private static byte[]?[]? t_recent;
        [ThreadStatic]
        private static int t_next;

        public static byte[]? Get(ReadOnlySpan<byte> raw)
        {
            if (raw.IsEmpty)
            {
                return null;
            }
            if (raw[0] != 0)
            {
                int nul = raw.IndexOf((byte)0);
                raw = nul < 0 ? raw : raw[..nul];
            }
            var recent = t_recent ??= new byte[]?[Kept];
            foreach (var name in recent)
            {
                if (name is not null && raw.SequenceEqual(name))
                {
                    return name;
                }
            }
            var made = raw.ToArray();
            recent[t_next] = made;
            t_next = (t_next + 1) % Kept;
            return made;
        }
    }
}
