using System.Globalization;
using System.Text;

namespace SockPeer.Fuzz;

/// <summary>
/// The inverse of <c>SocketName.Display</c>, written from its documented rules: a leading '@' means an
/// abstract name (a NUL), <c>\\ \n \t \r \xHH</c> are escapes, every other character is its UTF-8.
/// If Display(a) decodes back to a for every a, no two names can display the same.
/// </summary>
internal static class DisplayDecoder
{
    public static byte[] Decode(string shown)
    {
        var bytes = new List<byte>(shown.Length + 1);
        int i = 0;
        if (shown.StartsWith('@'))
        {
            bytes.Add(0);
            i = 1;
        }
        Span<byte> utf8 = stackalloc byte[4];
        while (i < shown.Length)
        {
            char c = shown[i];
            if (c != '\\')
            {
                var status = Rune.DecodeFromUtf16(shown.AsSpan(i), out Rune rune, out int used);
                if (status != System.Buffers.OperationStatus.Done)
                {
                    throw new FuzzFinding($"Display output holds a broken UTF-16 sequence at {i}");
                }
                int n = rune.EncodeToUtf8(utf8);
                bytes.AddRange(utf8[..n]);
                i += used;
                continue;
            }
            if (i + 1 >= shown.Length)
            {
                throw new FuzzFinding("Display output ends in a lone backslash");
            }
            char e = shown[i + 1];
            switch (e)
            {
                case '\\': bytes.Add((byte)'\\'); i += 2; break;
                case 'n': bytes.Add((byte)'\n'); i += 2; break;
                case 't': bytes.Add((byte)'\t'); i += 2; break;
                case 'r': bytes.Add((byte)'\r'); i += 2; break;
                case 'x' when i + 3 < shown.Length
                    && byte.TryParse(shown.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b):
                    bytes.Add(b);
                    i += 4;
                    break;
                default:
                    throw new FuzzFinding($"Display output holds an unknown escape \\{e}");
            }
        }
        return [.. bytes];
    }
}
