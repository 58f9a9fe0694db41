using SockPeer.Interop;

namespace SockPeer.Endpoints;

/// <summary>
/// What an fd or a path is, before a snapshot: which endpoint kind to read, or why there is no other
/// end. Public because a caller asking for the other end of any fd (as <c>sockpeer peer PID:FD</c>
/// does) must know its kind to choose <see cref="Inventory.InventoryOptions.Endpoints"/>, and to say
/// "a regular file has no other end" rather than "not found".
/// </summary>
public static class EndpointLookup
{
    private const ushort S_IFMT = 0xF000;

    /// <summary>The file type bits (S_IFMT) of what /proc/PID/fd/FD refers to; null when it cannot be examined.</summary>
    public static ushort? FdFileType(int pid, int fd, string procRoot = "/proc")
        => ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero($"{procRoot}/{pid}/fd/{fd}"), follow: true, out _, out _, out _, out ushort mode, out _) == Errno.None
            ? (ushort)(mode & S_IFMT)
            : null;

    /// <summary>Whether <paramref name="path"/> is a FIFO, with its device and inode.</summary>
    public static bool IsFifo(string path, out uint major, out uint minor, out ulong inode)
        => ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(path), follow: true, out major, out minor, out inode, out ushort mode, out _) == Errno.None
            && (mode & S_IFMT) == 0x1000;

    /// <summary>A file type's name: "a regular file", "a directory", ...</summary>
    public static string Describe(ushort? fileType, string link) => fileType switch
    {
        null => "a file that cannot be examined",
        0x8000 => "a regular file",
        0x4000 => "a directory",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        _ when link.StartsWith("anon_inode:", StringComparison.Ordinal) => $"an {link[11..].Trim('[', ']')} descriptor",
        _ => "another kind of file",
    };
}
