using System.Runtime.InteropServices;

namespace SockPeer.Cli.Interop;

/// <summary>
/// Writes straight to a file descriptor with write(2). System.Console's streams are not used for
/// output: on first use, when stdin is a terminal, they switch the terminal to keypad-transmit mode
/// (an escape sequence written even with NO_COLOR or with stdout piped, and again after each child
/// process exits), and they ignore EPIPE. FileStream would not do either, but it writes with
/// pwrite at its own offset, so `(sockpeer; sockpeer) &gt; file` would overwrite. write(2) does neither.
/// </summary>
internal sealed unsafe partial class FileDescriptorStream(int fd) : Stream
{
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int EPIPE = 32;
    private const short POLLOUT = 4;

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint SysWrite(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int SysPoll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int SysIoctl(int fd, nuint request, WinSize* size);

    private const nuint TIOCGWINSZ = 0x5413;

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    /// <summary>The width of the terminal on <paramref name="fd"/>, asked without System.Console; null when it is not one.</summary>
    public static int? TerminalColumns(int fd)
    {
        WinSize size = default;
        return SysIoctl(fd, TIOCGWINSZ, &size) == 0 && size.Columns > 0 ? size.Columns : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <inheritdoc />
    public override bool CanRead => false;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => true;
    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            byte* p = start;
            nuint left = (nuint)buffer.Length;
            while (left > 0)
            {
                nint n = SysWrite(fd, p, left);
                if (n >= 0)
                {
                    p += n;
                    left -= (nuint)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }
                if (errno == EAGAIN)
                {
                    var poll = new PollFd { Fd = fd, Events = POLLOUT };
                    _ = SysPoll(&poll, 1, -1);
                    continue;
                }
                throw new IOException(errno == EPIPE ? "Broken pipe" : $"write to fd {fd} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
