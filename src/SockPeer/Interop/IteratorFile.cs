namespace SockPeer.Interop;

/// <summary>Reads a BPF iterator's descriptor to its end: each read(2) runs the program over the next objects.</summary>
internal static unsafe class IteratorFile
{
    /// <summary>
    /// Reads <paramref name="fd"/> to the end into <paramref name="buffer"/> (grown as needed, kept by the
    /// caller for the next read); returns the byte count.
    /// </summary>
    /// <exception cref="IOException">read(2) failed (EAGAIN from a concurrent change is retried by the kernel's seq_file, not here).</exception>
    public static int ReadAll(SafeFd fd, ref byte[] buffer)
    {
        int total = 0;
        while (true)
        {
            if (buffer.Length - total < 64 * 1024)
            {
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, total + 128 * 1024));
            }
            nint n;
            fixed (byte* p = &buffer[total])
            {
                n = Libc.read(fd.Fd, p, (nuint)(buffer.Length - total));
            }
            if (n < 0)
            {
                Errno errno = Libc.LastErrno;
                if (errno == Errno.EINTR)
                {
                    continue;
                }
                throw new IOException($"reading a BPF iterator failed: {ErrnoText.Describe(errno)}");
            }
            if (n == 0)
            {
                return total;
            }
            total += (int)n;
        }
    }
}
