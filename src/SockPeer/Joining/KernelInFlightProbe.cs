using SockPeer.Collection;
using SockPeer.Interop;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Joining;

/// <summary>
/// <see cref="IInFlightProbe"/> over the live kernel: scm_fds from /proc/PID/fdinfo/FD, and "gone"
/// from single sock_diag queries on one fresh channel in the caller's namespace (sockets of other
/// namespaces cannot be asked from here and count as alive).
/// </summary>
internal sealed class KernelInFlightProbe(string procRoot, IDiagChannelFactory channels, DiagDump dump) : IInFlightProbe
{
    private readonly ProcScanner _scanner = new(procRoot);

    /// <inheritdoc/>
    public int? QueuedDescriptors(SocketHolder holder) => _scanner.ReadScmFds(holder.Pid, holder.Fd);

    /// <inheritdoc/>
    public IReadOnlySet<uint> Gone(IReadOnlyList<UnixSocket> candidates)
    {
        ulong? here = NamespacePlanner.ReadNetNs(procRoot + "/thread-self/ns/net");
        var gone = new HashSet<uint>();
        try
        {
            using IDiagChannel channel = channels.Open();
            foreach (var s in candidates)
            {
                if (s.NetNs == here
                    && dump.QueryOne(channel, s.Inode, s.Cookie, UnixDiagShow.None, out Errno errno) is null
                    && errno is Errno.ENOENT or Errno.ESTALE)
                {
                    gone.Add(s.Inode);
                }
            }
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException or InvalidOperationException or NetlinkFormatException)
        {
            // Cannot ask any further: the rest count as alive.
        }
        return gone;
    }
}
