namespace SockPeer.Interop;

/// <summary>What lstat tells of one path: identity, type and permission bits, owner.</summary>
internal readonly record struct PathStatus(uint Major, uint Minor, ulong Inode, ushort Mode, uint Uid, uint Gid);

/// <summary>lstat and readlink of one path, for the socket-file status and the path walk of <c>check</c>.</summary>
internal static unsafe class PathStat
{
    private const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_UID = 0x8, STATX_GID = 0x10;

    /// <summary>statx without following a final symlink.</summary>
    internal static Errno Lstat(ReadOnlySpan<byte> pathZ, out PathStatus status)
    {
        Libc.statx_buf st = default;
        int rc;
        fixed (byte* p = pathZ)
        {
            rc = Libc.statx(Libc.AT_FDCWD, p, Libc.AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | Libc.STATX_INO, &st);
        }
        if (rc != 0)
        {
            status = default;
            return Libc.LastErrno;
        }
        status = new PathStatus(st.stx_dev_major, st.stx_dev_minor, st.stx_ino, st.stx_mode, st.stx_uid, st.stx_gid);
        return Errno.None;
    }

    /// <summary>The target of a symlink, as raw bytes; null on error.</summary>
    internal static byte[]? ReadLink(ReadOnlySpan<byte> pathZ)
    {
        Span<byte> buffer = stackalloc byte[4096];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, pathZ, buffer);
        return n < 0 ? null : buffer[..n].ToArray();
    }
}
