using SockPeer.Netlink;

namespace SockPeer.Interop;

/// <summary>The real kernel channel: socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG) through libc.</summary>
internal sealed unsafe class NetlinkDiagChannel : IDiagChannel
{
    private readonly SafeFd _fd;

    private NetlinkDiagChannel(SafeFd fd) => _fd = fd;

    /// <summary>Opens a channel in the calling thread's network namespace.</summary>
    /// <exception cref="DiagUnavailableException">The kernel refused the netlink socket.</exception>
    internal static NetlinkDiagChannel Open()
    {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_SOCK_DIAG);
        if (fd < 0)
        {
            Errno errno = Libc.LastErrno;
            throw new DiagUnavailableException($"cannot open a NETLINK_SOCK_DIAG socket: {ErrnoText.Describe(errno)}", errno);
        }
        var handle = new SafeFd(fd);
        // A larger kernel-side buffer makes ENOBUFS (dropped replies) unlikely on busy hosts.
        int size = 1 << 20;
        _ = Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &size, sizeof(int));
        return new NetlinkDiagChannel(handle);
    }

    public Errno Send(ReadOnlySpan<byte> request)
    {
        Libc.sockaddr_nl kernel = new() { nl_family = Libc.AF_NETLINK };
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            fixed (byte* p = request)
            {
                nint sent = Libc.sendto(_fd.Fd, p, (nuint)request.Length, 0, &kernel, (uint)sizeof(Libc.sockaddr_nl));
                return sent < 0 ? Libc.LastErrno : Errno.None;
            }
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    public Errno Receive(Span<byte> buffer, out int length, out bool truncated)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            fixed (byte* p = buffer)
            {
                Libc.sockaddr_nl from = default;
                Libc.iovec iov = new() { iov_base = p, iov_len = (nuint)buffer.Length };
                Libc.msghdr msg = new()
                {
                    msg_name = &from,
                    msg_namelen = (uint)sizeof(Libc.sockaddr_nl),
                    msg_iov = &iov,
                    msg_iovlen = 1,
                };
                nint n = Libc.recvmsg(_fd.Fd, &msg, 0);
                if (n < 0)
                {
                    length = 0;
                    truncated = false;
                    return Libc.LastErrno;
                }
                length = (int)Math.Min(n, buffer.Length);
                truncated = (msg.msg_flags & Libc.MSG_TRUNC) != 0;
                return Errno.None;
            }
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    public void Dispose() => _fd.Dispose();
}

/// <summary>Opens channels in the calling thread's network namespace.</summary>
internal sealed class KernelDiagChannelFactory : IDiagChannelFactory
{
    /// <inheritdoc />
    public IDiagChannel Open() => NetlinkDiagChannel.Open();
}
