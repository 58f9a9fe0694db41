namespace SockPeer.Interop;

/// <summary>Reads a BPF iterator's descriptor to its end: each read(2) runs the program over the next objects.</summary>
internal static unsafe class IteratorFile
{
    /// <summary>
    /// Reads <paramref name="fd"/> to the end through <paramref name="buffer"/> (kept by the caller for the
    /// next read), handing <paramref name="parser"/> what has been read; a record a read cut in two is
    /// handed again whole with the next one. Nothing of the whole output is kept here.
    /// </summary>
    /// <exception cref="IOException">read(2) failed, or the output ended inside a record.</exception>
    public static void Read(SafeFd fd, byte[] buffer, Collection.IIteratorParser parser)
    {
        int held = 0;
        while (true)
        {
            nint n;
            fixed (byte* p = &buffer[held])
            {
                n = Libc.read(fd.Fd, p, (nuint)(buffer.Length - held));
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
                if (held > 0)
                {
                    throw new IOException($"a BPF iterator's output ended inside a record ({held} bytes left)");
                }
                return;
            }
            int filled = held + (int)n;
            int used = parser.Feed(buffer.AsSpan(0, filled));
            held = filled - used;
            buffer.AsSpan(used, held).CopyTo(buffer);
        }
    }
}
