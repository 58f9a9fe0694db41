using SockPeer.Model;

namespace SockPeer.Diff;

/// <summary>
/// Who a socket is across snapshots: (network namespace, inode, cookie). An inode alone is not enough,
/// because the kernel reuses socket inode numbers as soon as a socket is freed; the sock_diag cookie
/// is never reused while the system runs. In one snapshot the inode alone is a key.
/// </summary>
/// <param name="NetNs">Inode of the socket's network namespace, when known.</param>
/// <param name="Inode">Socket inode (socket:[N]).</param>
/// <param name="Cookie">sock_diag cookie; 0 when unknown (the /proc/net/unix fallback).</param>
public readonly record struct SocketIdentity(ulong? NetNs, uint Inode, ulong Cookie)
{
    /// <summary>The identity of <paramref name="socket"/>.</summary>
    public static SocketIdentity Of(UnixSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return new SocketIdentity(socket.NetNs, socket.Inode, socket.Cookie);
    }
}
