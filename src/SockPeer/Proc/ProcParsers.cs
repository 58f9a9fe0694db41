using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SockPeer.Proc;

/// <summary>Pure parsers for the small /proc files the scanner reads. None of them throws on bad input.</summary>
internal static class ProcParsers
{
    private static ReadOnlySpan<byte> SocketPrefix => "socket:["u8;
    private static ReadOnlySpan<byte> NetPrefix => "net:["u8;

    /// <summary>Parses a decimal number that fills the whole span (a /proc directory name).</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 10)
        {
            return false;
        }
        long v = 0;
        foreach (byte b in text)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
            v = (v * 10) + (b - '0');
        }
        if (v > int.MaxValue)
        {
            return false;
        }
        value = (int)v;
        return true;
    }

    /// <summary>Parses the target of an fd link, <c>socket:[12345]</c>; false for anything else.</summary>
    public static bool TryParseSocketLink(ReadOnlySpan<byte> link, out uint inode)
    {
        inode = 0;
        return link.StartsWith(SocketPrefix) && TryParseBracketed(link[SocketPrefix.Length..], out ulong v) && v <= uint.MaxValue
            && (inode = (uint)v) == v;
    }

    /// <summary>Parses the target of /proc/PID/ns/net, <c>net:[4026531840]</c>.</summary>
    public static bool TryParseNetNsLink(ReadOnlySpan<byte> link, out ulong inode)
    {
        inode = 0;
        return link.StartsWith(NetPrefix) && TryParseBracketed(link[NetPrefix.Length..], out inode);
    }

    private static bool TryParseBracketed(ReadOnlySpan<byte> rest, out ulong value)
    {
        value = 0;
        if (rest.Length < 2 || rest[^1] != (byte)']' || rest.Length > 21)
        {
            return false;
        }
        foreach (byte b in rest[..^1])
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
            ulong digit = (ulong)(b - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                return false; // value * 10 + digit would overflow (and may wrap to a larger number)
            }
            value = (value * 10) + digit;
        }
        return true;
    }

    /// <summary>Reads <c>PPid:</c> and the real uid from <c>Uid:</c> in /proc/PID/status.</summary>
    public static bool TryParseStatus(ReadOnlySpan<byte> status, out int ppid, out uint uid)
    {
        ppid = 0;
        uid = 0;
        bool gotPpid = false, gotUid = false;
        foreach (var line in new LineEnumerator(status))
        {
            if (line.StartsWith("PPid:"u8))
            {
                gotPpid = TryParseDecimal(Trim(line[5..]), out ppid);
            }
            else if (line.StartsWith("Uid:"u8))
            {
                ReadOnlySpan<byte> fields = Trim(line[4..]);
                int end = fields.IndexOfAny((byte)'\t', (byte)' ');
                gotUid = uint.TryParse(end < 0 ? fields : fields[..end], NumberStyles.None, CultureInfo.InvariantCulture, out uid);
            }
            if (gotPpid && gotUid)
            {
                return true;
            }
        }
        return gotPpid && gotUid;
    }

    /// <summary>Reads <c>scm_fds:</c> from /proc/PID/fdinfo/FD of a unix socket (kernel 5.6+); false when absent.</summary>
    public static bool TryParseScmFds(ReadOnlySpan<byte> fdinfo, out int count)
    {
        count = 0;
        foreach (var line in new LineEnumerator(fdinfo))
        {
            if (line.StartsWith("scm_fds:"u8))
            {
                return TryParseDecimal(Trim(line[8..]), out count);
            }
        }
        return false;
    }

    /// <summary>Splits /proc/PID/cmdline on NUL; invalid UTF-8 becomes U+FFFD.</summary>
    public static string[] ParseCmdline(ReadOnlySpan<byte> cmdline)
    {
        if (cmdline.IsEmpty)
        {
            return [];
        }
        if (cmdline[^1] == 0)
        {
            cmdline = cmdline[..^1];
        }
        int count = cmdline.Count((byte)0) + 1;
        var args = new string[count];
        for (int i = 0; i < count; i++)
        {
            int nul = cmdline.IndexOf((byte)0);
            ReadOnlySpan<byte> arg = nul < 0 ? cmdline : cmdline[..nul];
            args[i] = Encoding.UTF8.GetString(arg);
            cmdline = nul < 0 ? [] : cmdline[(nul + 1)..];
        }
        return args;
    }

    /// <summary>
    /// argv as `ps` shows it: a daemon that rewrote its argv in place (nginx, redis) leaves the rest
    /// of the old area as empty arguments and trailing spaces; those are dropped.
    /// </summary>
    public static string[] TrimArgv(string[] args)
    {
        int n = args.Length;
        while (n > 0 && args[n - 1].AsSpan().Trim(' ').IsEmpty)
        {
            n--;
        }
        if (n == 0)
        {
            return [];
        }
        string last = args[n - 1].TrimEnd(' ');
        if (n == args.Length && ReferenceEquals(last, args[n - 1]))
        {
            return args;
        }
        var trimmed = args[..n];
        trimmed[n - 1] = last;
        return trimmed;
    }

    /// <summary>The contents of /proc/PID/comm without its newline.</summary>
    public static string ParseComm(ReadOnlySpan<byte> comm)
    {
        if (!comm.IsEmpty && comm[^1] == (byte)'\n')
        {
            comm = comm[..^1];
        }
        return Encoding.UTF8.GetString(comm);
    }

    /// <summary>uid → name from a passwd file (name:pw:uid:...); the first entry for a uid wins.</summary>
    public static Dictionary<uint, string> ParsePasswd(ReadOnlySpan<byte> passwd)
    {
        var users = new Dictionary<uint, string>();
        foreach (var line in new LineEnumerator(passwd))
        {
            if (TryParsePasswdLine(line, out var name, out uint uid))
            {
                users.TryAdd(uid, Encoding.UTF8.GetString(name));
            }
        }
        return users;
    }

    /// <summary>The uid of the first passwd entry named <paramref name="name"/> (several names may share a uid).</summary>
    public static bool TryFindPasswdUid(ReadOnlySpan<byte> passwd, string name, out uint uid)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        foreach (var line in new LineEnumerator(passwd))
        {
            if (TryParsePasswdLine(line, out var entry, out uid) && entry.SequenceEqual(wanted))
            {
                return true;
            }
        }
        uid = 0;
        return false;
    }

    // name:pw:uid:...; false for a line without a name or a numeric uid.
    private static bool TryParsePasswdLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out uint uid)
    {
        name = default;
        uid = 0;
        int c1 = line.IndexOf((byte)':');
        if (c1 <= 0)
        {
            return false;
        }
        var rest = line[(c1 + 1)..];
        int c2 = rest.IndexOf((byte)':');
        if (c2 < 0)
        {
            return false;
        }
        rest = rest[(c2 + 1)..];
        int c3 = rest.IndexOf((byte)':');
        if (c3 < 0 || !uint.TryParse(rest[..c3], NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            return false;
        }
        name = line[..c1];
        return true;
    }

    internal static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && (s[start] == ' ' || s[start] == '\t'))
        {
            start++;
        }
        int end = s.Length;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\n'))
        {
            end--;
        }
        return s[start..end];
    }
}

/// <summary>Splits bytes on '\n' without allocating.</summary>
internal ref struct LineEnumerator
{
    private ReadOnlySpan<byte> _rest;
    private bool _done;

    /// <summary>Enumerates the lines of <paramref name="text"/>.</summary>
    public LineEnumerator(ReadOnlySpan<byte> text)
    {
        _rest = text;
        _done = text.IsEmpty;
        Current = default;
    }

    /// <summary>The current line, without its newline.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>Returns itself, for foreach.</summary>
    public readonly LineEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next line.</summary>
    public bool MoveNext()
    {
        if (_done)
        {
            return false;
        }
        int nl = _rest.IndexOf((byte)'\n');
        if (nl < 0)
        {
            Current = _rest;
            _done = true;
            return !Current.IsEmpty;
        }
        Current = _rest[..nl];
        _rest = _rest[(nl + 1)..];
        _done = _rest.IsEmpty;
        return true;
    }
}

/// <summary>
/// Walks a getdents64 buffer:
/// <code>struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; /* NUL-terminated */ }</code>
/// </summary>
internal ref struct DirentReader
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Reads the entries in <paramref name="buffer"/>.</summary>
    public DirentReader(ReadOnlySpan<byte> buffer) => _rest = buffer;

    /// <summary>The next entry's name; false at the end or at a malformed record.</summary>
    public bool TryRead(out ReadOnlySpan<byte> name, out byte type) => TryRead(out name, out _, out type);

    /// <summary>The next entry's name, also with its terminating NUL (for passing to *at calls).</summary>
    public bool TryRead(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> nameZ, out byte type)
    {
        name = default;
        nameZ = default;
        type = 0;
        if (_rest.Length < 20)
        {
            return false;
        }
        int reclen = BinaryPrimitives.ReadUInt16LittleEndian(_rest[16..]);
        if (reclen < 20 || reclen > _rest.Length)
        {
            return false;
        }
        type = _rest[18];
        ReadOnlySpan<byte> raw = _rest[19..reclen];
        int nul = raw.IndexOf((byte)0);
        if (nul < 0)
        {
            return false;
        }
        name = raw[..nul];
        nameZ = raw[..(nul + 1)];
        _rest = _rest[reclen..];
        return true;
    }
}
