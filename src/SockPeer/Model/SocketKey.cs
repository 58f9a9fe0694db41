namespace SockPeer.Model;

/// <summary>
/// A socket's identity across snapshots. Inode numbers are reused once a socket closes, and a
/// namespace's sockets share the host's inode space, so the inode alone can name two different
/// sockets in two snapshots; sock_diag's cookie tells them apart. The cookie is 0 when it was not
/// known (the /proc/net/unix fallback), and then the key is only as good as the inode. Within one
/// snapshot the inode alone is a key; across snapshots (diffs, watch, serve) this is.
/// </summary>
/// <param name="NetNs">Inode of the network namespace the socket lives in, when known.</param>
/// <param name="Inode">Socket inode (socket:[N]).</param>
/// <param name="Cookie">sock_diag cookie; 0 when unknown.</param>
public readonly record struct SocketKey(ulong? NetNs, uint Inode, ulong Cookie);
