using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SockPeer.Netlink;

/// <summary>One netlink message inside a receive buffer.</summary>
internal readonly ref struct NetlinkMessage
{
    /// <summary>nlmsg_type.</summary>
    public ushort Type { get; init; }
    /// <summary>nlmsg_flags.</summary>
    public ushort Flags { get; init; }
    /// <summary>nlmsg_seq.</summary>
    public uint Sequence { get; init; }
    /// <summary>The bytes after the 16-byte header, up to nlmsg_len.</summary>
    public ReadOnlySpan<byte> Payload { get; init; }
}

/// <summary>
/// Walks the messages of one netlink datagram. Layout (include/uapi/linux/netlink.h):
/// <code>
/// struct nlmsghdr { u32 nlmsg_len; u16 nlmsg_type; u16 nlmsg_flags; u32 nlmsg_seq; u32 nlmsg_pid; }
/// </code>
/// nlmsg_len counts the header; the next message starts at NLMSG_ALIGN(nlmsg_len). Netlink is host
/// byte order; every Linux target .NET supports here is little-endian.
/// </summary>
internal ref struct NetlinkMessageReader
{
    /// <summary>sizeof(struct nlmsghdr).</summary>
    public const int HeaderLength = 16;
    /// <summary>NLMSG_ERROR.</summary>
    public const ushort TypeError = 2;
    /// <summary>NLMSG_DONE.</summary>
    public const ushort TypeDone = 3;
    /// <summary>NLMSG_OVERRUN.</summary>
    public const ushort TypeOverrun = 4;
    /// <summary>SOCK_DIAG_BY_FAMILY.</summary>
    public const ushort TypeSockDiagByFamily = 20;
    /// <summary>NLM_F_MULTI.</summary>
    public const ushort FlagMulti = 0x2;
    /// <summary>NLM_F_DUMP_INTR: the dump changed under the kernel's feet and may be inconsistent.</summary>
    public const ushort FlagDumpInterrupted = 0x10;

    private ReadOnlySpan<byte> _rest;

    /// <summary>Reads the messages of <paramref name="datagram"/>.</summary>
    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _rest = datagram;

    /// <summary>Reads the next message; false at the end of the datagram.</summary>
    /// <exception cref="NetlinkFormatException">A header or length is malformed.</exception>
    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_rest.IsEmpty)
        {
            return false;
        }
        if (_rest.Length < HeaderLength)
        {
            Throw($"{_rest.Length} trailing bytes are too short for a netlink header");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (length < HeaderLength || length > (uint)_rest.Length)
        {
            Throw($"netlink message length {length} is outside 16..{_rest.Length}");
        }
        message = new NetlinkMessage
        {
            Type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]),
            Flags = BinaryPrimitives.ReadUInt16LittleEndian(_rest[6..]),
            Sequence = BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]),
            Payload = _rest[HeaderLength..(int)length],
        };
        int step = Align((int)length);
        _rest = step >= _rest.Length ? [] : _rest[step..];
        return true;
    }

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: round up to 4.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>The negative errno of an NLMSG_ERROR payload (struct nlmsgerr), as a positive number.</summary>
    public static int ReadErrorPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            Throw($"NLMSG_ERROR payload of {payload.Length} bytes has no error code");
        }
        return -BinaryPrimitives.ReadInt32LittleEndian(payload);
    }

    [DoesNotReturn]
    private static void Throw(string message) => throw new NetlinkFormatException(message);
}
