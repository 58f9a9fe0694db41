using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SockPeer.Journal.Interop;

/// <summary>
/// The recorder's lock: open(2) and flock(2) on a lock file, called directly because .NET's FileStream
/// takes its own flock, which would make a second opener fail with a sharing error rather than learn
/// who holds it. The kernel releases the lock when its holder dies, SIGKILL included.
/// </summary>
internal static partial class Flock
{
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int EWOULDBLOCK = 11;
    private const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockCall(int fd, int operation);

    /// <summary>
    /// Opens (creating) <paramref name="path"/> and takes its exclusive lock. Null when another process
    /// holds it, with what that process wrote in the file (its pid) in <paramref name="holder"/>.
    /// </summary>
    public static SafeFileHandle? TryLock(string path, out string holder)
    {
        holder = "";
        int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        while (true)
        {
            if (FlockCall(fd, LOCK_EX | LOCK_NB) == 0)
            {
                return handle;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == EWOULDBLOCK)
            {
                byte[] text = new byte[32];
                int n = RandomAccess.Read(handle, text, 0);
                holder = System.Text.Encoding.ASCII.GetString(text, 0, n).Trim();
                handle.Dispose();
                return null;
            }
            handle.Dispose();
            throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>Replaces the lock file's content with <paramref name="text"/> (the holder's pid).</summary>
    public static void Write(SafeFileHandle handle, string text)
    {
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, System.Text.Encoding.ASCII.GetBytes(text), 0);
    }
}
