#pragma warning disable CS8981 // struct names follow the kernel headers
using System.Runtime.InteropServices;

namespace SockPeer.Interop;

/// <summary>The libc calls the engine makes. Every signature is blittable.</summary>
internal static unsafe partial class Libc
{
    internal const int AF_UNIX = 1;
    internal const int AF_NETLINK = 16;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int NETLINK_SOCK_DIAG = 4;
    internal const int MSG_TRUNC = 0x20;
    internal const int SOL_SOCKET = 1;
    internal const int SO_RCVBUF = 8;

    internal const int O_RDONLY = 0;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int CLONE_NEWNET = 0x40000000;
    /// <summary>ioctl on a namespace fd: returns its CLONE_NEW* type (Linux 4.11+).</summary>
    internal const nuint NS_GET_NSTYPE = 0xb703;
    internal const uint STATX_INO = 0x100;

    [StructLayout(LayoutKind.Sequential)]
    internal struct sockaddr_nl
    {
        public ushort nl_family;
        public ushort nl_pad;
        public uint nl_pid;
        public uint nl_groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    /// <summary>struct statx (include/uapi/linux/stat.h); its layout is the same on every architecture.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_buf
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        public ushort __spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public fixed byte timestamps[64];
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        public fixed ulong __spare2[14];
    }

    [LibraryImport(Name, EntryPoint = "socket", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Name, EntryPoint = "bind", SetLastError = true)]
    internal static partial int bind(int fd, void* addr, uint addrlen);

    [LibraryImport(Name, EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint sendto(int fd, void* buf, nuint len, int flags, void* addr, uint addrlen);

    [LibraryImport(Name, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint recvmsg(int fd, msghdr* msg, int flags);

    [LibraryImport(Name, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int setsockopt(int fd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static partial int open(byte* path, int flags);

    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true)]
    internal static partial int openat(int dirfd, byte* path, int flags);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nuint count);

    [LibraryImport(Name, EntryPoint = "readlinkat", SetLastError = true)]
    internal static partial nint readlinkat(int dirfd, byte* path, byte* buf, nuint bufsize);

    [LibraryImport(Name, EntryPoint = "getdents64", SetLastError = true)]
    internal static partial nint getdents64(int fd, byte* dirp, nuint count);

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true)]
    internal static partial int statx(int dirfd, byte* path, int flags, uint mask, statx_buf* buf);

    [LibraryImport(Name, EntryPoint = "setns", SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request);

    internal static Errno LastErrno => (Errno)Marshal.GetLastPInvokeError();
}
