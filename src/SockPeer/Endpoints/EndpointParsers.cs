using SockPeer.Proc;

namespace SockPeer.Endpoints;

/// <summary>Pure parsers for the fd links and fdinfo lines the endpoint kinds need.</summary>
internal static class EndpointParsers
{
    private static ReadOnlySpan<byte> PipePrefix => "pipe:["u8;
    private static ReadOnlySpan<byte> PtsPrefix => "/dev/pts/"u8;

    /// <summary>`pipe:[INODE]`.</summary>
    public static bool TryParsePipeLink(ReadOnlySpan<byte> link, out ulong inode)
    {
        inode = 0;
        if (!link.StartsWith(PipePrefix) || link.Length < PipePrefix.Length + 2 || link[^1] != (byte)']')
        {
            return false;
        }
        return TryParseULong(link[PipePrefix.Length..^1], out inode);
    }

    /// <summary>`/dev/pts/N` (a pty slave); false for /dev/pts/ptmx and anything else.</summary>
    public static bool TryParsePtsLink(ReadOnlySpan<byte> link, out int index)
    {
        index = 0;
        return link.StartsWith(PtsPrefix) && ProcParsers.TryParseDecimal(link[PtsPrefix.Length..], out index);
    }

    /// <summary>`/dev/ptmx` or a devpts instance's own `.../pts/ptmx`: a pty master.</summary>
    public static bool IsPtmxLink(ReadOnlySpan<byte> link) => link.SequenceEqual("/dev/ptmx"u8) || link.EndsWith("/pts/ptmx"u8);

    /// <summary>`tty-index:` of a pty master's /proc/PID/fdinfo/FD (kernel 4.19+).</summary>
    public static bool TryParseTtyIndex(ReadOnlySpan<byte> fdinfo, out int index)
    {
        index = 0;
        foreach (var line in new LineEnumerator(fdinfo))
        {
            if (line.StartsWith("tty-index:"u8))
            {
                return ProcParsers.TryParseDecimal(ProcParsers.Trim(line[10..]), out index);
            }
        }
        return false;
    }

    /// <summary>
    /// The access mode of a /proc/PID/fd/N link from its own permission bits: procfs gives the link
    /// S_IRUSR for an fd opened for reading and S_IWUSR for writing (fs/proc/fd.c, tid_fd_update_inode),
    /// the same fact as O_ACCMODE in fdinfo's `flags`, for one lstat instead of open, read and close.
    /// </summary>
    public static EndpointAccess AccessFromLinkMode(ushort mode)
    {
        bool read = (mode & 0x100) != 0, write = (mode & 0x80) != 0;
        return read && write ? EndpointAccess.ReadWrite : write ? EndpointAccess.Write : EndpointAccess.Read;
    }

    /// <summary>O_ACCMODE of fdinfo's `flags:` (octal): 0 read, 1 write, 2 read-write.</summary>
    public static bool TryParseFdInfoAccess(ReadOnlySpan<byte> fdinfo, out EndpointAccess access)
    {
        access = EndpointAccess.Read;
        foreach (var line in new LineEnumerator(fdinfo))
        {
            if (!line.StartsWith("flags:"u8))
            {
                continue;
            }
            var octal = ProcParsers.Trim(line[6..]);
            if (octal.IsEmpty || octal.Length > 22)
            {
                return false;
            }
            foreach (byte b in octal)
            {
                if (b is < (byte)'0' or > (byte)'7')
                {
                    return false;
                }
            }
            access = (octal[^1] - '0') switch { 1 => EndpointAccess.Write, 2 or 3 => EndpointAccess.ReadWrite, _ => EndpointAccess.Read };
            return true;
        }
        return false;
    }

    private static bool TryParseULong(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 20)
        {
            return false;
        }
        foreach (byte b in digits)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
            if (value > (ulong.MaxValue - 9) / 10 && (value > ulong.MaxValue / 10 || (ulong)(b - '0') > ulong.MaxValue % 10))
            {
                value = 0;
                return false;
            }
            value = (value * 10) + (ulong)(b - '0');
        }
        return true;
    }
}
