using System.Text;

namespace SockPeer.Proc;

/// <summary>One line of /proc/PID/mountinfo: the fields the engine needs.</summary>
/// <param name="MountPoint">Where it is mounted, with the kernel's octal escapes (\040 etc.) undone.</param>
/// <param name="FsType">Filesystem type (after the " - " separator).</param>
/// <param name="SuperOptions">Per-superblock options, such as procfs's hidepid= and subset=.</param>
internal readonly record struct MountInfoLine(string MountPoint, string FsType, string SuperOptions);

/// <summary>
/// Pure parser for /proc/PID/mountinfo (proc(5)): <c>ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS</c>.
/// Never throws on bad input.
/// </summary>
internal static class ProcMountInfo
{
    /// <summary>Parses one line; false when it does not have the mountinfo shape.</summary>
    public static bool TryParseLine(ReadOnlySpan<byte> line, out MountInfoLine entry)
    {
        entry = default;
        var fields = Encoding.UTF8.GetString(line).TrimEnd('\n').Split(' ');
        int separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
        if (separator < 0 || separator + 1 >= fields.Length)
        {
            return false;
        }
        string superOptions = separator + 3 < fields.Length ? fields[separator + 3] : "";
        entry = new MountInfoLine(Unescape(fields[4]), Unescape(fields[separator + 1]), superOptions);
        return true;
    }

    /// <summary>The last (topmost) mount at <paramref name="mountPoint"/> in a whole mountinfo file; null when none.</summary>
    public static MountInfoLine? FindMount(ReadOnlySpan<byte> mountinfo, string mountPoint)
    {
        MountInfoLine? found = null;
        while (!mountinfo.IsEmpty)
        {
            int end = mountinfo.IndexOf((byte)'\n');
            var line = end < 0 ? mountinfo : mountinfo[..end];
            mountinfo = end < 0 ? [] : mountinfo[(end + 1)..];
            if (TryParseLine(line, out var entry) && entry.MountPoint == mountPoint)
            {
                found = entry;
            }
        }
        return found;
    }

    /// <summary>
    /// Mount points of network namespaces bind-mounted anywhere (`ip netns add` puts them under
    /// /run/netns, but any nsfs file can be mounted on any file): fstype nsfs, root <c>net:[INODE]</c>.
    /// </summary>
    public static List<(string MountPoint, ulong NetNs)> NetNsMounts(ReadOnlySpan<byte> mountinfo)
    {
        var found = new List<(string, ulong)>();
        while (!mountinfo.IsEmpty)
        {
            int end = mountinfo.IndexOf((byte)'\n');
            var line = end < 0 ? mountinfo : mountinfo[..end];
            mountinfo = end < 0 ? [] : mountinfo[(end + 1)..];
            // Cheap reject: only nsfs lines are split into fields.
            if (line.IndexOf(" - nsfs "u8) < 0 || !TryParseLine(line, out var entry) || entry.FsType != "nsfs")
            {
                continue;
            }
            var fields = Encoding.UTF8.GetString(line).Split(' ');
            if (fields.Length > 4 && ProcParsers.TryParseNetNsLink(Encoding.UTF8.GetBytes(fields[3]), out ulong netns))
            {
                found.Add((entry.MountPoint, netns));
            }
        }
        return found;
    }

    /// <summary>
    /// The hidepid= value of a procfs mount's options ("invisible", "noaccess", "ptraceable", or the
    /// numbers 1, 2, 4 of older kernels); null when processes are not hidden (absent, 0 or off).
    /// </summary>
    public static string? HidePid(string superOptions)
    {
        string? value = null;
        foreach (var option in superOptions.Split(','))
        {
            if (option.StartsWith("hidepid=", StringComparison.Ordinal))
            {
                value = option["hidepid=".Length..];
            }
        }
        return value is null or "" or "0" or "off" ? null : value;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        byte[] raw = Encoding.UTF8.GetBytes(field);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\\' && IsOctal(raw, i + 1))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsOctal(byte[] raw, int start)
        => start + 2 < raw.Length && raw[start] is >= (byte)'0' and <= (byte)'3'
            && raw[start + 1] is >= (byte)'0' and <= (byte)'7' && raw[start + 2] is >= (byte)'0' and <= (byte)'7';
}
