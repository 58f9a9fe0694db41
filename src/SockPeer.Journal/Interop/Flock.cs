using System.Runtime.InteropServices;

namespace SockPeer.Journal.Interop;

/// <summary>flock(2) on a lock file: the kernel releases it when the holder dies, SIGKILL included.</summary>
internal static partial class Flock
{
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int EWOULDBLOCK = 11;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    /// <summary>True when the lock was taken; false when another process holds it.</summary>
    public static bool TryLockExclusive(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (flock((int)file.DangerousGetHandle(), LOCK_EX | LOCK_NB) == 0)
            {
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            return errno == EWOULDBLOCK ? false : throw new IOException($"flock: errno {errno}");
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }
}
