using System.Text;

namespace SockPeer.Model;

/// <summary>
/// Turns raw socket names into one-line text that cannot be mistaken for another name: an abstract
/// name starts with '@'; a pathname that itself starts with '@' gets it escaped; backslash,
/// control characters and bytes that are not valid UTF-8 are escaped.
/// </summary>
public static class SocketName
{
    /// <summary>Display text for exact name bytes (abstract names begin with NUL).</summary>
    public static string Display(ReadOnlySpan<byte> name)
    {
        if (IsPlain(name))
        {
            return Encoding.ASCII.GetString(name); // most names: nothing to escape, no builder
        }
        var sb = new StringBuilder(name.Length + 2);
        if (!name.IsEmpty && name[0] == 0)
        {
            sb.Append('@');
            AppendEscaped(sb, name[1..], escapeLeadingAt: false);
        }
        else
        {
            AppendEscaped(sb, name, escapeLeadingAt: true);
        }
        return sb.ToString();
    }

    /// <summary>A pathname of printable ASCII other than a backslash, not starting with '@': shown as it is.</summary>
    internal static bool IsPlain(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name[0] is 0 or (byte)'@')
        {
            return false;
        }
        foreach (byte b in name)
        {
            if (!ShownAsIs(b))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A character escaping leaves as it is: printable ASCII other than a backslash.</summary>
    private static bool ShownAsIs(int c) => c is >= 0x20 and < 0x7F and not '\\';

    /// <summary>Escapes arbitrary bytes (a path given by a user, a command name) the same way.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        AppendEscaped(sb, bytes, escapeLeadingAt: false);
        return sb.ToString();
    }

    /// <summary>Escapes a string that may hold control characters.</summary>
    public static string Escape(string text) => IsPlain(text) ? text : Escape(Encoding.UTF8.GetBytes(text));

    /// <summary>Printable ASCII without a backslash: escaping leaves it as it is (most commands), so no copy is made.</summary>
    private static bool IsPlain(string text)
    {
        foreach (char c in text)
        {
            if (!ShownAsIs(c))
            {
                return false;
            }
        }
        return true;
    }

    private static void AppendEscaped(StringBuilder sb, ReadOnlySpan<byte> bytes, bool escapeLeadingAt)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            if (i == 0 && escapeLeadingAt && b == (byte)'@')
            {
                sb.Append("\\x40");
                i++;
                continue;
            }
            if (b < 0x80)
            {
                switch (b)
                {
                    case (byte)'\\': sb.Append("\\\\"); break;
                    case (byte)'\n': sb.Append("\\n"); break;
                    case (byte)'\t': sb.Append("\\t"); break;
                    case (byte)'\r': sb.Append("\\r"); break;
                    case < 0x20 or 0x7F: sb.Append("\\x").Append(b.ToString("x2")); break;
                    default: sb.Append((char)b); break;
                }
                i++;
                continue;
            }
            var status = System.Text.Rune.DecodeFromUtf8(bytes[i..], out Rune rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done && !IsInvisible(rune))
            {
                sb.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                sb.Append("\\x").Append(b.ToString("x2"));
                i++;
            }
        }
    }

    // C1 controls, line/paragraph separators and bidi overrides could break or disguise a line.
    private static bool IsInvisible(Rune rune)
    {
        int v = rune.Value;
        // Format characters (zero-width space, soft hyphen, direction marks) would make two names look alike.
        return v is (>= 0x80 and < 0xA0) or 0x2028 or 0x2029
            || Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Format;
    }
}
