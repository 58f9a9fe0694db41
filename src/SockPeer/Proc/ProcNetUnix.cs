using System.Globalization;

namespace SockPeer.Proc;

/// <summary>One row of /proc/net/unix.</summary>
internal readonly record struct ProcNetUnixEntry(uint Inode, int Type, int SocketState, bool Listening, byte[]? Path);

/// <summary>
/// Parses /proc/net/unix, the lossy fallback when sock_diag has no unix_diag:
/// <code>Num       RefCount Protocol Flags    Type St Inode Path
/// 0000000000000000: 00000002 00000000 00010000 0001 01 12345 /run/x.sock</code>
/// St is the SS_* state; Flags 0x10000 (__SO_ACCEPTCON) marks a listener; an abstract name shows
/// as '@' with every NUL as '@'. Rows with inode 0 are pending connections and are skipped.
/// </summary>
internal static class ProcNetUnix
{
    /// <summary>Parses the file; rows that do not parse are counted in <paramref name="malformed"/>.</summary>
    public static List<ProcNetUnixEntry> Parse(ReadOnlySpan<byte> text, out int malformed)
    {
        var entries = new List<ProcNetUnixEntry>();
        malformed = 0;
        bool header = true;
        foreach (var line in new LineEnumerator(text))
        {
            if (header)
            {
                header = false;
                if (line.StartsWith("Num"u8))
                {
                    continue;
                }
            }
            if (line.IsEmpty)
            {
                continue;
            }
            if (TryParseLine(line, out ProcNetUnixEntry entry))
            {
                if (entry.Inode != 0)
                {
                    entries.Add(entry);
                }
            }
            else
            {
                malformed++;
            }
        }
        return entries;
    }

    private static bool TryParseLine(ReadOnlySpan<byte> line, out ProcNetUnixEntry entry)
    {
        entry = default;
        Span<Range> fields = stackalloc Range[8];
        var rest = line;
        int n = 0;
        // Seven space-separated fields, then the path (which may contain spaces) to the end of the line.
        while (n < 7)
        {
            rest = rest.TrimStart((byte)' ');
            if (rest.IsEmpty)
            {
                return false;
            }
            int sp = rest.IndexOf((byte)' ');
            int start = line.Length - rest.Length;
            int len = sp < 0 ? rest.Length : sp;
            fields[n++] = new Range(start, start + len);
            rest = rest[len..];
        }
        if (!line[fields[0]].EndsWith(":"u8))
        {
            return false;
        }
        if (!TryHex(line[fields[3]], out uint flags) || !TryHex(line[fields[4]], out uint type) || !TryHex(line[fields[5]], out uint st)
            || !uint.TryParse(line[fields[6]], NumberStyles.None, CultureInfo.InvariantCulture, out uint inode))
        {
            return false;
        }
        byte[]? path = null;
        if (!rest.IsEmpty && rest[0] == (byte)' ')
        {
            rest = rest[1..];
            if (!rest.IsEmpty)
            {
                path = rest.ToArray();
                if (path[0] == (byte)'@')
                {
                    path[0] = 0; // abstract; inner '@' stays '@': the file cannot tell them from NULs
                }
            }
        }
        entry = new ProcNetUnixEntry(inode, (int)type, (int)st, (flags & 0x10000) != 0, path);
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> s, out uint value)
        => uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
