#pragma warning disable CS8981 // names follow the C library
using System.Runtime.InteropServices;

namespace SockPeer.Interop;

/// <summary>
/// The calls <c>check --try</c> and the client credentials need: namespaces and root of another
/// process, per-thread credentials (the raw system calls, which change only the calling thread, unlike
/// glibc's wrappers that change every thread), a non-blocking connect, and the user database.
/// </summary>
internal static unsafe partial class Libc
{
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int CLONE_FS = 0x200;
    internal const int CLONE_NEWNS = 0x20000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct passwd
    {
        public byte* pw_name;
        public byte* pw_passwd;
        public uint pw_uid;
        public uint pw_gid;
        public byte* pw_gecos;
        public byte* pw_dir;
        public byte* pw_shell;
    }

    [LibraryImport(Name, EntryPoint = "connect", SetLastError = true)]
    internal static partial int connect(int fd, void* addr, uint addrlen);

    [LibraryImport(Name, EntryPoint = "chroot", SetLastError = true)]
    internal static partial int chroot(byte* path);

    [LibraryImport(Name, EntryPoint = "fchdir", SetLastError = true)]
    internal static partial int fchdir(int fd);

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint syscall6(nint number, nint a1, nint a2, nint a3, nint a4, nint a5);

    [LibraryImport(Name, EntryPoint = "getpwnam", SetLastError = true)]
    internal static partial passwd* getpwnam(byte* name);

    [LibraryImport(Name, EntryPoint = "getpwuid", SetLastError = true)]
    internal static partial passwd* getpwuid(uint uid);

    [LibraryImport(Name, EntryPoint = "getgrouplist", SetLastError = true)]
    internal static partial int getgrouplist(byte* user, uint group, uint* groups, int* ngroups);
}
