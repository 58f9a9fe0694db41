namespace SockPeer.Tests.Infrastructure;

/// <summary>Hex strings for byte fixtures: whitespace, '|' and '_' are ignored so a layout can be spelled out.</summary>
public static class Hex
{
    /// <summary>The bytes of <paramref name="hex"/>.</summary>
    public static byte[] Bytes(string hex)
        => Convert.FromHexString(new string(hex.Where(c => !char.IsWhiteSpace(c) && c != '|' && c != '_').ToArray()));

    /// <summary>Lower-case hex of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
