using SockPeer.Interop;

namespace SockPeer.Endpoints;

/// <summary>
/// Keeps the fd links of the endpoint kinds asked for while the /proc walk reads them: one per walk
/// thread, so nothing is shared. Only links that can be those kinds cost a further syscall: an lstat
/// of a pipe's link for its access mode, a stat of a path link to tell a FIFO from a file, an fdinfo
/// read of a pty master for its index.
/// </summary>
internal sealed class EndpointLinkCollector(EndpointKinds kinds)
{
    private const ushort S_IFMT = 0xF000;
    private const ushort S_IFIFO = 0x1000;
    private byte[] _fdinfo = new byte[1024];

    public readonly List<PipeLink> Pipes = [];
    public readonly List<FifoLink> Fifos = [];
    public readonly List<PtyLink> Ptys = [];
    public int PtyMastersWithoutIndex;

    internal readonly record struct PipeLink(ulong Inode, int Pid, int Fd, EndpointAccess Access);
    internal readonly record struct FifoLink(uint Major, uint Minor, ulong Inode, string Path, int Pid, int Fd, EndpointAccess Access);
    internal readonly record struct PtyLink(int Index, bool Master, int Pid, int Fd, EndpointAccess Access);

    /// <summary>
    /// One non-socket link of fd <paramref name="name"/> in the fd directory <paramref name="dir"/>
    /// (<paramref name="link"/> may be cut at the buffer's end).
    /// </summary>
    public void Offer(int dir, ReadOnlySpan<byte> nameZ, ReadOnlySpan<byte> name, ReadOnlySpan<byte> link, int pid)
    {
        if (link.IsEmpty)
        {
            return;
        }
        byte first = link[0];
        if (first == (byte)'p')
        {
            if ((kinds & EndpointKinds.Pipe) != 0 && EndpointParsers.TryParsePipeLink(link, out ulong inode) && TryFd(name, out int fd))
            {
                Pipes.Add(new PipeLink(inode, pid, fd, Access(dir, nameZ)));
            }
            return;
        }
        if (first != (byte)'/')
        {
            return; // anon_inode:, socket:, net:, ...
        }
        if ((kinds & EndpointKinds.Pty) != 0)
        {
            if (EndpointParsers.TryParsePtsLink(link, out int index))
            {
                if (TryFd(name, out int fd))
                {
                    Ptys.Add(new PtyLink(index, false, pid, fd, Access(dir, nameZ)));
                }
                return;
            }
            if (EndpointParsers.IsPtmxLink(link))
            {
                if (TryFd(name, out int fd))
                {
                    if (ReadTtyIndex(dir, name, out int master))
                    {
                        Ptys.Add(new PtyLink(master, true, pid, fd, Access(dir, nameZ)));
                    }
                    else
                    {
                        PtyMastersWithoutIndex++;
                    }
                }
                return;
            }
        }
        if ((kinds & EndpointKinds.Fifo) != 0 && !link.StartsWith("/dev/"u8))
        {
            // A path gives no hint of the file's type: stat through the link (the open file itself,
            // wherever its path now leads, in whatever mount namespace).
            if (ProcFs.Stat(dir, nameZ, follow: true, out uint major, out uint minor, out ulong inode, out ushort mode, out _) == Errno.None
                && (mode & S_IFMT) == S_IFIFO && TryFd(name, out int fd))
            {
                Fifos.Add(new FifoLink(major, minor, inode, FullLink(dir, nameZ, link), pid, fd, Access(dir, nameZ)));
            }
        }
    }

    private static bool TryFd(ReadOnlySpan<byte> name, out int fd) => Proc.ProcParsers.TryParseDecimal(name, out fd);

    private static EndpointAccess Access(int dir, ReadOnlySpan<byte> nameZ)
        => ProcFs.Stat(dir, nameZ, follow: false, out _, out _, out _, out ushort mode, out _) == Errno.None
            ? EndpointParsers.AccessFromLinkMode(mode)
            : EndpointAccess.ReadWrite;

    /// <summary>The link again with room for a long path, when the walk's buffer cut it.</summary>
    private static string FullLink(int dir, ReadOnlySpan<byte> nameZ, ReadOnlySpan<byte> link)
    {
        if (link.Length < 60)
        {
            return System.Text.Encoding.UTF8.GetString(link);
        }
        Span<byte> buffer = stackalloc byte[4096];
        int n = ProcFs.ReadLink(dir, nameZ, buffer);
        return System.Text.Encoding.UTF8.GetString(n > 0 ? buffer[..n] : link);
    }

    private bool ReadTtyIndex(int dir, ReadOnlySpan<byte> name, out int index)
    {
        // dir is /proc/PID/fd; fdinfo is its sibling.
        byte[] path = new byte[12 + name.Length];
        "../fdinfo/"u8.CopyTo(path);
        name.CopyTo(path.AsSpan(10));
        int n = ProcFs.ReadFile(dir, path, ref _fdinfo, 1 << 16);
        index = 0;
        return n > 0 && EndpointParsers.TryParseTtyIndex(_fdinfo.AsSpan(0, n), out index);
    }
}
