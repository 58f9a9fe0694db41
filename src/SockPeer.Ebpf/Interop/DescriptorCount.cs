using System.Runtime.InteropServices;

namespace SockPeer.Ebpf.Interop;

/// <summary>
/// How many descriptors the host's processes hold, counted cheaply: since Linux 6.2 a stat of
/// /proc/PID/fd reports the number of open descriptors as its size, so one statx per process
/// stands for the readlink of every descriptor that the /proc walk does.
/// </summary>
internal static unsafe partial class DescriptorCount
{
    private const int AtFdCwd = -100;
    private const uint StatxSize = 0x200;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    /// <summary>
    /// Descriptors held by every process, counted until <paramref name="enough"/> is reached; -1 when the
    /// kernel does not report the count (before 6.2 the size is 0) or /proc cannot be read.
    /// </summary>
    public static long AtLeast(long enough)
    {
        long total = 0;
        bool reported = false;
        byte* statx = stackalloc byte[256];
        byte* path = stackalloc byte[64];
        try
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                ReadOnlySpan<char> name = dir.AsSpan(6);
                if (name.IsEmpty || !char.IsAsciiDigit(name[0]))
                {
                    continue;
                }
                int n = System.Text.Encoding.ASCII.GetBytes($"{dir}/fd", new Span<byte>(path, 63));
                path[n] = 0;
                if (Statx(AtFdCwd, path, 0, StatxSize, statx) != 0)
                {
                    continue; // gone, or not ours to read
                }
                long size = *(long*)(statx + 40); // struct statx: stx_size
                reported |= size > 0;
                total += size;
                if (total >= enough)
                {
                    return total;
                }
            }
        }
        catch (IOException)
        {
            return -1;
        }
        return reported ? total : -1;
    }
}
