using System.Runtime.InteropServices;
using System.Text;

namespace SockPeer.Interop;

/// <summary>
/// Thin wrappers over openat/getdents64/readlinkat/read for walking /proc with directory fds and
/// caller-owned buffers. Return values: a length or fd (&gt;= 0), or a negated errno.
/// </summary>
internal static unsafe partial class ProcFs
{
    private const int KCMP_FILES = 2;

    [LibraryImport(Libc.Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5);

    internal static int OpenDirectory(int dirfd, ReadOnlySpan<byte> pathZ)
    {
        fixed (byte* p = pathZ)
        {
            int fd = Libc.openat(dirfd, p, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            return fd >= 0 ? fd : -(int)Libc.LastErrno;
        }
    }

    internal static int OpenDirectory(string path)
    {
        byte[] z = Zero(path);
        return OpenDirectory(Libc.AT_FDCWD, z);
    }

    /// <summary>
    /// The directory <paramref name="pathZ"/> with every symlink on the way resolved, as the kernel names
    /// it from this process's root (opened with O_PATH, then its /proc/self/fd link read: realpath
    /// without a libc buffer); null when it cannot be opened.
    /// </summary>
    internal static byte[]? ResolveDirectory(ReadOnlySpan<byte> pathZ)
    {
        int fd;
        fixed (byte* p = pathZ)
        {
            fd = Libc.openat(Libc.AT_FDCWD, p, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            return null;
        }
        try
        {
            Span<byte> link = stackalloc byte[4096];
            int n = ReadLink(Libc.AT_FDCWD, Zero($"/proc/self/fd/{fd}"), link);
            return n > 0 && n < link.Length && link[0] == (byte)'/' ? link[..n].ToArray() : null;
        }
        finally
        {
            Close(fd);
        }
    }

    internal static int GetDents(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = Libc.getdents64(fd, p, (nuint)buffer.Length);
            return n >= 0 ? (int)n : -(int)Libc.LastErrno;
        }
    }

    internal static int ReadLink(int dirfd, ReadOnlySpan<byte> pathZ, Span<byte> buffer)
    {
        fixed (byte* p = pathZ)
        fixed (byte* b = buffer)
        {
            nint n = Libc.readlinkat(dirfd, p, b, (nuint)buffer.Length);
            return n >= 0 ? (int)n : -(int)Libc.LastErrno;
        }
    }

    /// <summary>Reads a whole small file into <paramref name="buffer"/>, growing it as needed up to <paramref name="limit"/>.</summary>
    internal static int ReadFile(int dirfd, ReadOnlySpan<byte> pathZ, ref byte[] buffer, int limit = 1 << 22)
    {
        int fd;
        fixed (byte* p = pathZ)
        {
            fd = Libc.openat(dirfd, p, Libc.O_RDONLY | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            return -(int)Libc.LastErrno;
        }
        try
        {
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= limit)
                    {
                        return total;
                    }
                    Array.Resize(ref buffer, Math.Min(limit, buffer.Length * 2));
                }
                nint n;
                fixed (byte* b = &buffer[total])
                {
                    n = Libc.read(fd, b, (nuint)(buffer.Length - total));
                }
                if (n < 0)
                {
                    Errno e = Libc.LastErrno;
                    if (e == Errno.EINTR)
                    {
                        continue;
                    }
                    return -(int)e;
                }
                if (n == 0)
                {
                    return total;
                }
                total += (int)n;
            }
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    internal static void Close(int fd) => _ = Libc.close(fd);

    /// <summary>statx of a path (following links unless told not to).</summary>
    internal static Errno Stat(int dirfd, ReadOnlySpan<byte> pathZ, bool follow, out uint devMajor, out uint devMinor, out ulong inode, out ushort mode, out uint nlink)
    {
        Libc.statx_buf st = default;
        int rc;
        fixed (byte* p = pathZ)
        {
            rc = Libc.statx(dirfd, p, follow ? 0 : Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_INO | 0x1 /* TYPE */ | 0x4 /* NLINK */, &st);
        }
        if (rc != 0)
        {
            devMajor = devMinor = 0;
            inode = 0;
            mode = 0;
            nlink = 0;
            return Libc.LastErrno;
        }
        devMajor = st.stx_dev_major;
        devMinor = st.stx_dev_minor;
        inode = st.stx_ino;
        mode = st.stx_mode;
        nlink = st.stx_nlink;
        return Errno.None;
    }

    /// <summary>kcmp(KCMP_FILES): 0 when the two tasks share one fd table; -1 when it cannot be told.</summary>
    internal static int SameFileTable(int pid1, int pid2)
    {
        nint number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 312,
            Architecture.Arm64 => 272,
            _ => -1,
        };
        if (number < 0)
        {
            return -1;
        }
        nint rc = syscall(number, pid1, pid2, KCMP_FILES, 0, 0);
        return rc < 0 ? -1 : (int)rc;
    }

    internal static byte[] Zero(string path)
    {
        int n = Encoding.UTF8.GetByteCount(path);
        byte[] z = new byte[n + 1];
        Encoding.UTF8.GetBytes(path, z);
        return z;
    }

    internal static byte[] Zero(ReadOnlySpan<byte> path)
    {
        byte[] z = new byte[path.Length + 1];
        path.CopyTo(z);
        return z;
    }
}
