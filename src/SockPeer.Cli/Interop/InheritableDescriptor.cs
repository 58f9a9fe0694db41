using System.Runtime.InteropServices;

namespace SockPeer.Cli.Interop;

/// <summary>Hands a socket to a child process (the demo's forking server): a duplicate without FD_CLOEXEC survives exec.</summary>
internal static partial class InheritableDescriptor
{
    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int dup(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>Duplicates <paramref name="handle"/> into a descriptor a child process inherits; the caller closes it after the child starts.</summary>
    public static int Duplicate(SafeHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = dup((int)handle.DangerousGetHandle());
            if (fd < 0)
            {
                throw new IOException($"dup failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            return fd;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Closes a descriptor made by <see cref="Duplicate"/>.</summary>
    public static void Close(int fd) => _ = close(fd);
}
