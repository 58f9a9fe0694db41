using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SockPeer.Netlink;

/// <summary>One unix_diag_msg with the attributes that came with it. Absent attributes have their Has… flag false.</summary>
internal sealed record UnixDiagRecord
{
    /// <summary>udiag_type: 1 stream, 2 dgram, 5 seqpacket.</summary>
    public byte Type { get; init; }
    /// <summary>udiag_state (TCP_* numbering).</summary>
    public byte State { get; init; }
    /// <summary>udiag_ino: the socket inode.</summary>
    public uint Inode { get; init; }
    /// <summary>udiag_cookie as one number.</summary>
    public ulong Cookie { get; init; }
    /// <summary>UNIX_DIAG_NAME bytes, without the trailing NUL of a pathname; null when absent.</summary>
    public byte[]? Name { get; init; }
    /// <summary>Whether UNIX_DIAG_VFS came.</summary>
    public bool HasVfs { get; init; }
    /// <summary>udiag_vfs_ino: inode of the socket file.</summary>
    public uint VfsInode { get; init; }
    /// <summary>udiag_vfs_dev: the kernel's dev_t of the socket file (major &lt;&lt; 20 | minor).</summary>
    public uint VfsDevice { get; init; }
    /// <summary>Whether UNIX_DIAG_PEER came.</summary>
    public bool HasPeer { get; init; }
    /// <summary>UNIX_DIAG_PEER inode (0: the peer is gone or has no inode yet).</summary>
    public uint Peer { get; init; }
    /// <summary>UNIX_DIAG_ICONS inodes; null when absent.</summary>
    public uint[]? Icons { get; init; }
    /// <summary>Whether UNIX_DIAG_RQLEN came.</summary>
    public bool HasRqLen { get; init; }
    /// <summary>udiag_rqueue (listeners: pending count).</summary>
    public uint RQueue { get; init; }
    /// <summary>udiag_wqueue (listeners: backlog limit).</summary>
    public uint WQueue { get; init; }
    /// <summary>Whether UNIX_DIAG_SHUTDOWN came.</summary>
    public bool HasShutdown { get; init; }
    /// <summary>Shutdown bits: 1 receive, 2 send.</summary>
    public byte Shutdown { get; init; }
    /// <summary>Whether UNIX_DIAG_UID came.</summary>
    public bool HasUid { get; init; }
    /// <summary>Owner uid.</summary>
    public uint Uid { get; init; }
}

/// <summary>Parses the payload of a SOCK_DIAG_BY_FAMILY reply for AF_UNIX.</summary>
internal static class UnixDiagParser
{
    /// <summary>sizeof(struct unix_diag_msg).</summary>
    public const int MessageLength = 16;
    private const int AttributeHeaderLength = 4;

    /// <summary>
    /// Parses one record:
    /// <code>
    /// struct unix_diag_msg { u8 udiag_family; u8 udiag_type; u8 udiag_state; u8 pad; u32 udiag_ino; u32 udiag_cookie[2]; }
    /// then struct nlattr { u16 nla_len; u16 nla_type; } + data, each padded to 4 bytes.
    /// </code>
    /// </summary>
    /// <exception cref="NetlinkFormatException">The payload is truncated or an attribute is malformed.</exception>
    public static UnixDiagRecord Parse(ReadOnlySpan<byte> payload) => Parse(payload, null);

    /// <summary>As above; equal names share the array <paramref name="names"/> keeps for them.</summary>
    public static UnixDiagRecord Parse(ReadOnlySpan<byte> payload, NameTable? names)
    {
        if (payload.Length < MessageLength)
        {
            Throw($"unix_diag_msg needs {MessageLength} bytes, got {payload.Length}");
        }
        if (payload[0] != 1)
        {
            Throw($"unix_diag_msg family {payload[0]} is not AF_UNIX");
        }
        byte type = payload[1];
        byte state = payload[2];
        uint inode = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
        ulong cookie = BinaryPrimitives.ReadUInt32LittleEndian(payload[8..])
            | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(payload[12..]) << 32);

        byte[]? name = null;
        bool hasVfs = false, hasPeer = false, hasRqLen = false, hasShutdown = false, hasUid = false;
        uint vfsIno = 0, vfsDev = 0, peer = 0, rq = 0, wq = 0, uid = 0;
        byte shutdown = 0;
        uint[]? icons = null;

        ReadOnlySpan<byte> rest = payload[MessageLength..];
        while (rest.Length >= AttributeHeaderLength)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(rest);
            ushort kind = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(rest[2..]) & 0x3FFF);
            if (length < AttributeHeaderLength || length > rest.Length)
            {
                Throw($"attribute {kind} length {length} is outside 4..{rest.Length}");
            }
            ReadOnlySpan<byte> data = rest[AttributeHeaderLength..length];
            switch ((UnixDiagAttribute)kind)
            {
                case UnixDiagAttribute.Name:
                    name = ReadName(data, names);
                    break;
                case UnixDiagAttribute.Vfs:
                    Need(data, 8, kind);
                    vfsIno = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    vfsDev = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                    hasVfs = true;
                    break;
                case UnixDiagAttribute.Peer:
                    Need(data, 4, kind);
                    peer = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    hasPeer = true;
                    break;
                case UnixDiagAttribute.Icons:
                    if (data.Length % 4 != 0)
                    {
                        Throw($"ICONS length {data.Length} is not a multiple of 4");
                    }
                    icons = new uint[data.Length / 4];
                    for (int i = 0; i < icons.Length; i++)
                    {
                        icons[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
                    }
                    break;
                case UnixDiagAttribute.RqLen:
                    Need(data, 8, kind);
                    rq = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    wq = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                    hasRqLen = true;
                    break;
                case UnixDiagAttribute.Shutdown:
                    Need(data, 1, kind);
                    shutdown = data[0];
                    hasShutdown = true;
                    break;
                case UnixDiagAttribute.Uid:
                    Need(data, 4, kind);
                    uid = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    hasUid = true;
                    break;
                default:
                    break; // MEMINFO and attributes newer than this code
            }
            int step = NetlinkMessageReader.Align(length);
            rest = step >= rest.Length ? [] : rest[step..];
        }
        if (!rest.IsEmpty)
        {
            Throw($"{rest.Length} trailing bytes after the attributes");
        }
        return new UnixDiagRecord
        {
            Type = type,
            State = state,
            Inode = inode,
            Cookie = cookie,
            Name = name,
            HasVfs = hasVfs,
            VfsInode = vfsIno,
            VfsDevice = vfsDev,
            HasPeer = hasPeer,
            Peer = peer,
            Icons = icons,
            HasRqLen = hasRqLen,
            RQueue = rq,
            WQueue = wq,
            HasShutdown = hasShutdown,
            Shutdown = shutdown,
            HasUid = hasUid,
            Uid = uid,
        };
    }

    /// <summary>
    /// A pathname arrives with its trailing NUL (and the kernel may send bytes after it); an abstract
    /// name starts with NUL and is exact bytes, inner NULs included.
    /// </summary>
    private static byte[] ReadName(ReadOnlySpan<byte> data, NameTable? names)
    {
        if (!data.IsEmpty && data[0] != 0 && data.IndexOf((byte)0) is int nul and >= 0)
        {
            data = data[..nul];
        }
        return names is null ? data.ToArray() : names.Intern(data);
    }

    private static void Need(ReadOnlySpan<byte> data, int length, ushort kind)
    {
        if (data.Length < length)
        {
            Throw($"attribute {kind} has {data.Length} bytes, needs {length}");
        }
    }

    [DoesNotReturn]
    private static void Throw(string message) => throw new NetlinkFormatException(message);
}

/// <summary>Writes the 40-byte SOCK_DIAG_BY_FAMILY request for AF_UNIX.</summary>
internal static class UnixDiagRequest
{
    /// <summary>nlmsghdr + unix_diag_req.</summary>
    public const int Length = 40;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;

    /// <summary>A dump of every socket whose state is in <paramref name="states"/>.</summary>
    public static void WriteDump(Span<byte> destination, uint sequence, uint states, UnixDiagShow show)
        => Write(destination, sequence, NlmFRequest | NlmFDump, states, 0, show, ulong.MaxValue);

    /// <summary>A query for one socket by inode; a cookie of <see cref="ulong.MaxValue"/> skips the cookie check.</summary>
    public static void WriteExact(Span<byte> destination, uint sequence, uint inode, ulong cookie, UnixDiagShow show)
        => Write(destination, sequence, NlmFRequest, UnixDiagState.All, inode, show, cookie);

    private static void Write(Span<byte> d, uint sequence, ushort flags, uint states, uint inode, UnixDiagShow show, ulong cookie)
    {
        if (d.Length < Length)
        {
            throw new ArgumentException("request buffer is shorter than 40 bytes", nameof(d));
        }
        d[..Length].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(d, Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[4..], NetlinkMessageReader.TypeSockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(d[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], sequence);
        d[16] = 1; // sdiag_family = AF_UNIX
        BinaryPrimitives.WriteUInt32LittleEndian(d[20..], states);
        BinaryPrimitives.WriteUInt32LittleEndian(d[24..], inode);
        BinaryPrimitives.WriteUInt32LittleEndian(d[28..], (uint)show);
        BinaryPrimitives.WriteUInt32LittleEndian(d[32..], (uint)cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(d[36..], (uint)(cookie >> 32));
    }
}
