using System.Buffers.Binary;
using System.Net;

namespace SockPeer.Model;

/// <summary>
/// An IPv4 or IPv6 address as one 128-bit key: IPv4 is kept in its v4-mapped form (::ffff:a.b.c.d),
/// so an AF_INET socket and an AF_INET6 socket talking over v4-mapped addresses compare equal.
/// </summary>
public readonly record struct InetAddress(ulong High, ulong Low)
{
    /// <summary>The address from its 4 (IPv4) or 16 (IPv6) network-order bytes.</summary>
    public static InetAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 4)
        {
            return new InetAddress(0, 0x0000_FFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }
        if (bytes.Length != 16)
        {
            throw new ArgumentException("an inet address has 4 or 16 bytes", nameof(bytes));
        }
        return new InetAddress(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    /// <summary>Parses dotted IPv4 or IPv6 text (brackets allowed).</summary>
    public static bool TryParse(string text, out InetAddress address)
    {
        address = default;
        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            text = text[1..^1];
        }
        if (!IPAddress.TryParse(text, out var ip))
        {
            return false;
        }
        Span<byte> b = stackalloc byte[16];
        _ = ip.TryWriteBytes(b, out int written);
        address = FromBytes(b[..written]);
        return true;
    }

    /// <summary>An IPv4 address, or an IPv6 address in its v4-mapped form.</summary>
    public bool IsV4 => High == 0 && (Low >> 32) == 0xFFFF;

    /// <summary>0.0.0.0 or ::, the wildcard a listener binds to.</summary>
    public bool IsAny => (High == 0 && Low == 0) || (IsV4 && (uint)Low == 0);

    /// <summary>127.0.0.0/8 or ::1.</summary>
    public bool IsLoopback => (IsV4 && (Low & 0xFF00_0000) == 0x7F00_0000) || (High == 0 && Low == 1);

    /// <summary>IPv4 dotted quad, or RFC 5952 IPv6 text.</summary>
    public override string ToString()
    {
        if (IsV4)
        {
            uint v = (uint)Low;
            return $"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}";
        }
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, High);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Low);
        return new IPAddress(b).ToString();
    }

    /// <summary>`ADDR:PORT`, IPv6 in brackets.</summary>
    public string WithPort(ushort port) => IsV4 ? $"{this}:{port}" : $"[{this}]:{port}";
}
