using SockPeer.Netlink;

namespace SockPeer.Interop;

/// <summary>An open network namespace (an fd kept while working, since namespace inode numbers are reused).</summary>
internal sealed class NetNsHandle : IDisposable
{
    internal SafeFd Fd { get; }

    /// <summary>The namespace's inode.</summary>
    public ulong Inode { get; }

    /// <summary>A process in it (0 for a /run/netns bind mount with no process).</summary>
    public int SamplePid { get; }

    /// <summary>Where it was found: /proc/PID/ns/net or /run/netns/NAME.</summary>
    public string Source { get; }

    internal NetNsHandle(SafeFd fd, ulong inode, int samplePid, string source)
    {
        Fd = fd;
        Inode = inode;
        SamplePid = samplePid;
        Source = source;
    }

    /// <summary>Opens the namespace at a path (/proc/PID/ns/net, /run/netns/NAME).</summary>
    public static NetNsHandle? Open(string path, int samplePid)
    {
        byte[] z = ProcFs.Zero(path);
        unsafe
        {
            fixed (byte* p = z)
            {
                // O_NONBLOCK: PATH may be anything (--netns PATH), and opening a FIFO would wait for a writer.
                int fd = Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
                if (fd < 0)
                {
                    return null;
                }
                var handle = new SafeFd(fd);
                // What was opened must be a network namespace: not a plain file (a /run/netns name between
                // `ip netns add` creating it and bind-mounting the namespace on it, or after `ip netns delete`
                // unmounted it), nor a namespace of another type.
                if (Libc.ioctl(fd, Libc.NS_GET_NSTYPE) != Libc.CLONE_NEWNET
                    || ProcFs.Stat(Libc.AT_FDCWD, z, follow: true, out _, out _, out ulong inode, out _, out _) != Errno.None)
                {
                    handle.Dispose();
                    return null;
                }
                return new NetNsHandle(handle, inode, samplePid, path);
            }
        }
    }

    /// <summary>
    /// Creates a sock_diag channel inside this namespace. setns changes only the calling thread, so
    /// it runs on a dedicated thread that enters, opens the socket, returns and checks it returned;
    /// the socket stays bound to the namespace it was made in and works from any thread afterwards.
    /// </summary>
    /// <exception cref="DiagUnavailableException">The namespace cannot be entered (EPERM without CAP_SYS_ADMIN).</exception>
    public IDiagChannel OpenChannel()
    {
        IDiagChannel? channel = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                channel = EnterAndOpen();
            }
            catch (Exception e) when (e is DiagUnavailableException or IOException)
            {
                failure = e;
            }
        }, 256 * 1024)
        { IsBackground = true, Name = "sockpeer-setns" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw failure;
        }
        return channel!;
    }

    private IDiagChannel EnterAndOpen()
    {
        byte[] self = ProcFs.Zero("/proc/thread-self/ns/net");
        int home;
        unsafe
        {
            fixed (byte* p = self)
            {
                home = Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
            }
        }
        if (home < 0)
        {
            throw new DiagUnavailableException($"cannot open this thread's network namespace: {ErrnoText.Describe(Libc.LastErrno)}", Libc.LastErrno);
        }
        using var homeFd = new SafeFd(home);
        _ = ProcFs.Stat(Libc.AT_FDCWD, self, follow: true, out _, out _, out ulong homeInode, out _, out _);
        if (Libc.setns(Fd.Fd, Libc.CLONE_NEWNET) != 0)
        {
            Errno e = Libc.LastErrno;
            throw new DiagUnavailableException($"cannot enter network namespace {Inode}: {ErrnoText.Describe(e)}", e);
        }
        IDiagChannel? channel = null;
        DiagUnavailableException? openFailure = null;
        try
        {
            channel = NetlinkDiagChannel.Open();
        }
        catch (DiagUnavailableException e)
        {
            openFailure = e;
        }
        bool returned = Libc.setns(home, Libc.CLONE_NEWNET) == 0
            && ProcFs.Stat(Libc.AT_FDCWD, self, follow: true, out _, out _, out ulong back, out _, out _) == Errno.None
            && back == homeInode;
        if (!returned)
        {
            // The thread ends right after this; nothing else ever runs in the wrong namespace.
            channel?.Dispose();
            throw new IOException($"could not return from network namespace {Inode}");
        }
        if (openFailure is not null)
        {
            throw openFailure;
        }
        return channel!;
    }

    /// <inheritdoc />
    public void Dispose() => Fd.Dispose();
}
