using System.Buffers.Binary;
using SockPeer.Interop;
using SockPeer.Netlink;

namespace SockPeer.Tests.Netlink;

/// <summary>Builds netlink datagrams and unix_diag records the way the kernel lays them out.</summary>
internal static class Nl
{
    public const ushort Multi = NetlinkMessageReader.FlagMulti;

    /// <summary>nlmsghdr + payload, padded to 4 bytes (nlmsg_len excludes the padding, as the kernel writes it).</summary>
    public static byte[] Message(ushort type, ushort flags, uint seq, ReadOnlySpan<byte> payload, uint pid = 0)
    {
        int length = NetlinkMessageReader.HeaderLength + payload.Length;
        var m = new byte[NetlinkMessageReader.Align(length)];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), seq);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(12), pid);
        payload.CopyTo(m.AsSpan(NetlinkMessageReader.HeaderLength));
        return m;
    }

    /// <summary>Messages back to back in one datagram.</summary>
    public static byte[] Datagram(params byte[][] messages) => messages.SelectMany(m => m).ToArray();

    /// <summary>NLMSG_DONE with its int payload.</summary>
    public static byte[] Done(uint seq, ushort flags = Multi) => Message(NetlinkMessageReader.TypeDone, flags, seq, new byte[4]);

    /// <summary>NLMSG_ERROR: struct nlmsgerr { int error; struct nlmsghdr msg; }.</summary>
    public static byte[] Error(uint seq, Errno errno)
    {
        var payload = new byte[4 + NetlinkMessageReader.HeaderLength];
        BinaryPrimitives.WriteInt32LittleEndian(payload, -(int)errno);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), 40);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(8), NetlinkMessageReader.TypeSockDiagByFamily);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), seq);
        return Message(NetlinkMessageReader.TypeError, 0, seq, payload);
    }

    /// <summary>One nlattr, padded to 4 bytes.</summary>
    public static byte[] Attr(ushort type, ReadOnlySpan<byte> data)
    {
        var a = new byte[NetlinkMessageReader.Align(4 + data.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + data.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        data.CopyTo(a.AsSpan(4));
        return a;
    }

    public static byte[] Attr(UnixDiagAttribute type, ReadOnlySpan<byte> data) => Attr((ushort)type, data);

    public static byte[] U32(params uint[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), values[i]);
        }
        return b;
    }

    /// <summary>unix_diag_msg followed by attributes.</summary>
    public static byte[] DiagPayload(byte type, byte state, uint inode, ulong cookie, params byte[][] attributes)
    {
        var head = new byte[UnixDiagParser.MessageLength];
        head[0] = 1;
        head[1] = type;
        head[2] = state;
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4), inode);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), (uint)cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), (uint)(cookie >> 32));
        return head.Concat(attributes.SelectMany(a => a)).ToArray();
    }

    /// <summary>A whole SOCK_DIAG_BY_FAMILY message for a stream socket, with SHUTDOWN as the kernel always sends it.</summary>
    public static byte[] Record(uint seq, uint inode, ulong? cookie = null, byte type = 1, byte state = UnixDiagState.Established,
        uint? peer = null, ushort flags = Multi, byte shutdown = 0, params byte[][] extra)
    {
        var attributes = new List<byte[]>(extra);
        if (peer is uint p)
        {
            attributes.Add(Attr(UnixDiagAttribute.Peer, U32(p)));
        }
        attributes.Add(Attr(UnixDiagAttribute.Shutdown, [shutdown]));
        return Message(NetlinkMessageReader.TypeSockDiagByFamily, flags, seq,
            DiagPayload(type, state, inode, cookie ?? inode, [.. attributes]));
    }
}
