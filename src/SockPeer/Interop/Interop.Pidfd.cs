using System.Runtime.InteropServices;

namespace SockPeer.Interop;

/// <summary>
/// Borrowing another process's descriptor (pidfd_open 5.3, pidfd_getfd 5.6; glibc 2.36 wraps both),
/// asking a socket for its network namespace (SIOCGSKNS, 4.9) and its protocol name (the sockfs
/// xattr system.sockprotoname, which lsof and lsfd read too).
/// </summary>
internal static unsafe partial class Libc
{
    /// <summary>ioctl on a socket: returns an fd of the socket's network namespace (include/uapi/linux/sockios.h).</summary>
    internal const nuint SIOCGSKNS = 0x894C;
    internal const int SO_DOMAIN = 39;
    internal const int AT_EMPTY_PATH = 0x1000;

    [LibraryImport(Name, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(Name, EntryPoint = "pidfd_getfd", SetLastError = true)]
    internal static partial int pidfd_getfd(int pidfd, int targetfd, uint flags);

    [LibraryImport(Name, EntryPoint = "getxattr", SetLastError = true)]
    internal static partial nint getxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Name, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int getsockopt(int fd, int level, int optname, void* optval, uint* optlen);
}

/// <summary>
/// Finds the network namespace of a socket another process holds: borrow its fd with pidfd_getfd,
/// ask SIOCGSKNS, close the borrowed fd at once (holding it would keep the socket open).
/// Needs ptrace access to the holder and CAP_NET_ADMIN over the namespace.
/// </summary>
internal static unsafe class SocketNamespaceProbe
{
    private static int s_missing; // 1 once libc is known to lack the pidfd wrappers

    /// <summary>
    /// The protocol name of the socket at /proc/PID/fd/FD ("UNIX", "UNIX-STREAM", "TCP", "NETLINK"...),
    /// without opening it; null with <paramref name="errno"/> set when it cannot be read.
    /// </summary>
    internal static string? ProtocolName(string procRoot, int pid, int fd, out Errno errno)
    {
        byte[] path = ProcFs.Zero($"{procRoot}/{pid}/fd/{fd}");
        Span<byte> value = stackalloc byte[32];
        nint n;
        fixed (byte* p = path)
        fixed (byte* name = "system.sockprotoname\0"u8)
        fixed (byte* v = value)
        {
            n = Libc.getxattr(p, name, v, (nuint)value.Length);
        }
        if (n < 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        errno = Errno.None;
        var text = value[..(int)n];
        int nul = text.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(nul >= 0 ? text[..nul] : text);
    }

    /// <summary>Opens a pidfd of <paramref name="pid"/>; null with <paramref name="errno"/> set when it cannot (ENOSYS: no pidfd in this kernel or libc).</summary>
    internal static SafeFd? OpenPid(int pid, out Errno errno)
    {
        if (Volatile.Read(ref s_missing) == 1)
        {
            errno = Errno.ENOSYS;
            return null;
        }
        int fd;
        try
        {
            fd = Libc.pidfd_open(pid, 0);
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref s_missing, 1);
            errno = Errno.ENOSYS;
            return null;
        }
        if (fd < 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        errno = Errno.None;
        return new SafeFd(fd);
    }

    /// <summary>
    /// Borrows fd <paramref name="fd"/> of the process behind <paramref name="pidfd"/>, checks it is still
    /// the AF_UNIX socket <paramref name="inode"/> (any socket with <paramref name="anyFamily"/>), and
    /// returns an fd of its network namespace with that namespace's inode. ESTALE: the fd now holds
    /// something else; EAFNOSUPPORT: not AF_UNIX.
    /// </summary>
    internal static SafeFd? OpenNamespaceOf(SafeFd pidfd, int fd, uint inode, out ulong netns, out Errno errno, bool anyFamily = false)
    {
        netns = 0;
        int borrowed;
        try
        {
            borrowed = Libc.pidfd_getfd(pidfd.Fd, fd, 0);
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref s_missing, 1);
            errno = Errno.ENOSYS;
            return null;
        }
        if (borrowed < 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        using (var socket = new SafeFd(borrowed))
        {
            if (StatFd(borrowed, out ulong ino) is var e && e != Errno.None)
            {
                errno = e;
                return null;
            }
            if (ino != inode)
            {
                errno = Errno.ESTALE;
                return null;
            }
            int domain = 0;
            uint length = sizeof(int);
            if (Libc.getsockopt(borrowed, Libc.SOL_SOCKET, Libc.SO_DOMAIN, &domain, &length) != 0)
            {
                errno = Libc.LastErrno;
                return null;
            }
            if (domain != Libc.AF_UNIX && !anyFamily)
            {
                errno = Errno.EAFNOSUPPORT;
                return null;
            }
            int ns = Libc.ioctl(borrowed, Libc.SIOCGSKNS);
            if (ns < 0)
            {
                errno = Libc.LastErrno;
                return null;
            }
            var handle = new SafeFd(ns);
            if (StatFd(ns, out netns) is var se && se != Errno.None)
            {
                handle.Dispose();
                errno = se;
                return null;
            }
            errno = Errno.None;
            return handle;
        }
    }

    private static Errno StatFd(int fd, out ulong inode)
    {
        Libc.statx_buf st = default;
        int rc;
        fixed (byte* empty = "\0"u8)
        {
            rc = Libc.statx(fd, empty, Libc.AT_EMPTY_PATH, Libc.STATX_INO, &st);
        }
        inode = rc == 0 ? st.stx_ino : 0;
        return rc == 0 ? Errno.None : Libc.LastErrno;
    }
}
