using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using SockPeer.Model;

namespace SockPeer.Netlink;

/// <summary>One inet_diag_msg (TCP or UDP, IPv4 or IPv6). Attributes after it are not requested and are ignored.</summary>
internal sealed record InetDiagRecord
{
    /// <summary>idiag_family: 2 AF_INET, 10 AF_INET6.</summary>
    public byte Family { get; init; }
    /// <summary>The protocol the dump asked for: 6 TCP, 17 UDP.</summary>
    public byte Protocol { get; init; }
    /// <summary>idiag_state (TCP_* numbering; UDP: 1 connected, 7 unconnected).</summary>
    public byte State { get; init; }
    /// <summary>Local address (v4-mapped for IPv4).</summary>
    public InetAddress Source { get; init; }
    /// <summary>Remote address; the wildcard when unconnected.</summary>
    public InetAddress Destination { get; init; }
    /// <summary>Local port.</summary>
    public ushort SourcePort { get; init; }
    /// <summary>Remote port; 0 when unconnected.</summary>
    public ushort DestinationPort { get; init; }
    /// <summary>idiag_if: the bound interface index, 0 for none.</summary>
    public uint Interface { get; init; }
    /// <summary>idiag_cookie as one number.</summary>
    public ulong Cookie { get; init; }
    /// <summary>idiag_rqueue: a TCP listener's accept queue length, else bytes queued to read.</summary>
    public uint RQueue { get; init; }
    /// <summary>idiag_wqueue: a TCP listener's backlog limit, else bytes queued to send.</summary>
    public uint WQueue { get; init; }
    /// <summary>idiag_uid.</summary>
    public uint Uid { get; init; }
    /// <summary>idiag_inode: the socket inode; 0 for a server half not accepted yet.</summary>
    public uint Inode { get; init; }
}

/// <summary>
/// The inet_diag layouts (include/uapi/linux/inet_diag.h; ports and addresses are big-endian, the rest host order):
/// <code>
/// struct inet_diag_sockid { __be16 sport, dport; __be32 src[4], dst[4]; u32 if; u32 cookie[2]; }          // 48 bytes
/// struct inet_diag_req_v2 { u8 family, protocol, ext, pad; u32 states; struct inet_diag_sockid id; }   // 56 bytes
/// struct inet_diag_msg    { u8 family, state, timer, retrans; struct inet_diag_sockid id;
///                           u32 expires, rqueue, wqueue, uid, inode; }                                // 72 bytes
/// </code>
/// An IPv4 address fills src[0] / dst[0] only.
/// </summary>
internal static class InetDiagParser
{
    /// <summary>sizeof(struct inet_diag_msg).</summary>
    public const int MessageLength = 72;
    /// <summary>AF_INET.</summary>
    public const byte FamilyInet = 2;
    /// <summary>AF_INET6.</summary>
    public const byte FamilyInet6 = 10;

    /// <summary>Parses one record of a dump that asked for <paramref name="protocol"/>.</summary>
    /// <exception cref="NetlinkFormatException">The payload is too short or not AF_INET / AF_INET6.</exception>
    public static InetDiagRecord Parse(ReadOnlySpan<byte> payload, byte protocol)
    {
        if (payload.Length < MessageLength)
        {
            Throw($"inet_diag_msg needs {MessageLength} bytes, got {payload.Length}");
        }
        byte family = payload[0];
        if (family is not FamilyInet and not FamilyInet6)
        {
            Throw($"inet_diag_msg family {family} is neither AF_INET nor AF_INET6");
        }
        int addressLength = family == FamilyInet ? 4 : 16;
        return new InetDiagRecord
        {
            Family = family,
            Protocol = protocol,
            State = payload[1],
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(payload[6..]),
            Source = InetAddress.FromBytes(payload.Slice(8, addressLength)),
            Destination = InetAddress.FromBytes(payload.Slice(24, addressLength)),
            Interface = BinaryPrimitives.ReadUInt32LittleEndian(payload[40..]),
            Cookie = BinaryPrimitives.ReadUInt32LittleEndian(payload[44..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(payload[48..]) << 32),
            RQueue = BinaryPrimitives.ReadUInt32LittleEndian(payload[56..]),
            WQueue = BinaryPrimitives.ReadUInt32LittleEndian(payload[60..]),
            Uid = BinaryPrimitives.ReadUInt32LittleEndian(payload[64..]),
            Inode = BinaryPrimitives.ReadUInt32LittleEndian(payload[68..]),
        };
    }

    [DoesNotReturn]
    private static void Throw(string message) => throw new NetlinkFormatException(message);
}

/// <summary>Writes inet_diag_req_v2 dump requests.</summary>
internal static class InetDiagRequest
{
    /// <summary>nlmsghdr + inet_diag_req_v2.</summary>
    public const int Length = 16 + 56;
    /// <summary>IPPROTO_TCP.</summary>
    public const byte Tcp = 6;
    /// <summary>IPPROTO_UDP.</summary>
    public const byte Udp = 17;
    /// <summary>
    /// Every TCP state a socket with an inode can be in: all of 1..11 but TIME_WAIT (6), whose
    /// minisockets have no inode and no holder; NEW_SYN_RECV (12) request socks are left out too.
    /// </summary>
    public const uint TcpStates = 0xFFEu & ~(1u << 6);
    /// <summary>Every state.</summary>
    public const uint AllStates = 0xFFFFFFFF;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;

    /// <summary>A dump of every <paramref name="protocol"/> socket of <paramref name="family"/> whose state bit is in <paramref name="states"/>.</summary>
    public static void WriteDump(Span<byte> d, uint sequence, byte family, byte protocol, uint states)
    {
        if (d.Length < Length)
        {
            throw new ArgumentException($"request buffer is shorter than {Length} bytes", nameof(d));
        }
        d[..Length].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(d, Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[4..], NetlinkMessageReader.TypeSockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(d[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], sequence);
        d[16] = family;
        d[17] = protocol;
        BinaryPrimitives.WriteUInt32LittleEndian(d[20..], states);
        // id is zero: a dump ignores it, and cookie 0 is never matched in a dump
    }
}
