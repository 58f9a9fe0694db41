using System.Text;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Proc;
using SockPeer.Views;

namespace SockPeer.Queries;

/// <summary>The answer to "who is on the other end of this socket".</summary>
public sealed record PeerReport(UnixSocket Socket, UnixSocket? Peer, UnixSocket? Listener, IReadOnlyList<ProcessInfo> Processes)
{
    /// <summary>Every pid holding one of the report's sockets, ordered, whether or not its details are in the snapshot.</summary>
    public IReadOnlyList<int> HolderPids { get; init; } = [];
}

/// <summary>One connection to a listening or bound socket: the server end and the client end.</summary>
public sealed record WhoConnection(UnixSocket Server, UnixSocket? Client)
{
    /// <summary>The client is in another network namespace than the listener (<see cref="NetNsCrossing"/>).</summary>
    public bool AcrossNetNs { get; init; }
}

/// <summary>What a socket path reaches now, and everything connected to it.</summary>
public sealed record WhoReport(
    string Path,
    IReadOnlyList<UnixSocket> Listeners,
    IReadOnlyList<UnixSocket> Stale,
    IReadOnlyList<WhoConnection> Connections,
    IReadOnlyList<UnixSocket> Pending,
    IReadOnlyList<ProcessInfo> Processes)
{
    /// <summary>Every pid holding one of the report's sockets, ordered, whether or not its details are in the snapshot.</summary>
    public IReadOnlyList<int> HolderPids { get; init; } = [];
}

/// <summary>How resolving a (pid, fd) to a socket inode went.</summary>
public enum FdLookupStatus
{
    /// <summary>The fd is a socket; the inode is set.</summary>
    Socket,
    /// <summary>No such process.</summary>
    NoProcess,
    /// <summary>The process has no such fd.</summary>
    NoFd,
    /// <summary>The fd is not a socket.</summary>
    NotSocket,
    /// <summary>The fd table cannot be read.</summary>
    Denied,
}

/// <summary>Whether a path names a socket file.</summary>
public enum PathLookupStatus
{
    /// <summary>The path is a socket file.</summary>
    Socket,
    /// <summary>Nothing at that path.</summary>
    Missing,
    /// <summary>The path is not a socket.</summary>
    NotSocket,
    /// <summary>The path cannot be examined.</summary>
    Denied,
}

/// <summary>Questions asked of a snapshot.</summary>
public static class SocketQueries
{
    private const ushort S_IFMT = 0xF000;
    private const ushort S_IFSOCK = 0xC000;

    /// <summary>Reads /proc/PID/fd/FD and tells whether it is a socket.</summary>
    public static FdLookupStatus LookupFd(int pid, int fd, out uint inode, out string target, string procRoot = "/proc")
    {
        inode = 0;
        target = "";
        Span<byte> buffer = stackalloc byte[4096];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero($"{procRoot}/{pid}/fd/{fd}"), buffer);
        if (n < 0)
        {
            var errno = (Errno)(-n);
            if (errno is Errno.EACCES or Errno.EPERM)
            {
                return FdLookupStatus.Denied;
            }
            return Directory.Exists($"{procRoot}/{pid}") ? FdLookupStatus.NoFd : FdLookupStatus.NoProcess;
        }
        target = SocketName.Escape(buffer[..n]);
        return ProcParsers.TryParseSocketLink(buffer[..n], out inode) ? FdLookupStatus.Socket : FdLookupStatus.NotSocket;
    }

    /// <summary>stat of a path: whether it is a socket file, and its device and inode.</summary>
    public static PathLookupStatus LookupPath(string path, out uint major, out uint minor, out ulong inode)
    {
        Errno errno = ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(path), follow: true, out major, out minor, out inode, out ushort mode, out _);
        if (errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return PathLookupStatus.Missing;
        }
        if (errno != Errno.None)
        {
            return PathLookupStatus.Denied;
        }
        return (mode & S_IFMT) == S_IFSOCK ? PathLookupStatus.Socket : PathLookupStatus.NotSocket;
    }

    /// <summary>The peer, listener and every process at either end of <paramref name="socket"/>.</summary>
    public static PeerReport Peer(SocketInventory inventory, UnixSocket socket)
    {
        UnixSocket? peer = SocketViews.Peer(inventory, socket);
        UnixSocket? listener = SocketViews.Listener(inventory, socket);
        var pids = SocketInventory.HolderPidsOf([socket, peer, listener]);
        return new PeerReport(socket, peer, listener, inventory.ProcessesOf(pids)) { HolderPids = pids };
    }

    /// <summary>
    /// The socket(s) that <paramref name="path"/> reaches now (same file identity), older sockets
    /// still bound to the same name, and every connection and pending client of the current ones.
    /// </summary>
    public static WhoReport Who(SocketInventory inventory, string path, uint major, uint minor, ulong inode)
    {
        byte[] pathBytes = Encoding.UTF8.GetBytes(path);
        string? full = null;
        try
        {
            full = System.IO.Path.GetFullPath(path);
        }
        catch (ArgumentException)
        {
        }
        byte[]? fullBytes = full is null ? null : Encoding.UTF8.GetBytes(full);

        var listeners = new List<UnixSocket>();
        var stale = new List<UnixSocket>();
        foreach (var s in inventory.Sockets)
        {
            if (!IsServer(s))
            {
                continue;
            }
            if (s.File is { } f && f.Inode == inode && f.Major == major && f.Minor == minor)
            {
                listeners.Add(s);
            }
            else if (s.NameBytes is { } n && (n.AsSpan().SequenceEqual(pathBytes) || (fullBytes is not null && n.AsSpan().SequenceEqual(fullBytes))))
            {
                stale.Add(s);
            }
        }

        return Connected(inventory, path, listeners, stale);
    }

    /// <summary>
    /// <paramref name="shown"/> is the name as the user gave it.
    /// The servers whose recorded name is one of <paramref name="names"/> (exact bytes), for a name no file reaches:
    /// an abstract name (leading NUL), or a path whose socket file was deleted. Every such server is
    /// a listener of the report; <see cref="WhoReport.Stale"/> is empty.
    /// </summary>
    public static WhoReport WhoByName(SocketInventory inventory, string shown, IReadOnlyList<byte[]> names)
    {
        var listeners = new List<UnixSocket>();
        foreach (var s in inventory.Sockets)
        {
            if (IsServer(s) && s.NameBytes is { } n && names.Any(name => n.AsSpan().SequenceEqual(name)))
            {
                listeners.Add(s);
            }
        }
        return Connected(inventory, shown, listeners, []);
    }

    private static bool IsServer(UnixSocket s) => s.Role.Serves();

    /// <summary>
    /// The socket bound to the socket file (<paramref name="major"/>:<paramref name="minor"/>, <paramref name="inode"/>)
    /// as stat gives it, the one a connect() through that file reaches (<see cref="SocketRoleText.HoldsName"/>); null when none is.
    /// </summary>
    public static UnixSocket? BoundAt(SocketInventory inventory, uint major, uint minor, ulong inode)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        foreach (var s in inventory.Sockets)
        {
            if (s.Role.HoldsName() && s.File is { } f && f.Inode == inode && f.Major == major && f.Minor == minor)
            {
                return s;
            }
        }
        return null;
    }

    /// <summary>Every socket bound to one of <paramref name="names"/> (exact bytes; abstract names with their leading NUL), in every namespace of the snapshot.</summary>
    public static IReadOnlyList<UnixSocket> BoundToName(SocketInventory inventory, IReadOnlyList<byte[]> names)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(names);
        var found = new List<UnixSocket>();
        foreach (var s in inventory.Sockets)
        {
            if (s.Role.HoldsName() && s.NameBytes is { } n && names.Any(name => n.AsSpan().SequenceEqual(name)))
            {
                found.Add(s);
            }
        }
        return found;
    }

    private static WhoReport Connected(SocketInventory inventory, string path, List<UnixSocket> listeners, List<UnixSocket> stale)
    {
        var connections = new List<WhoConnection>();
        var pending = new List<UnixSocket>();
        var ends = new List<UnixSocket?>();
        var listenerInodes = new HashSet<uint>();
        foreach (var l in listeners)
        {
            listenerInodes.Add(l.Inode);
            ends.Add(l);
            if (l.Role == SocketRole.Listener)
            {
                foreach (uint c in l.Pending)
                {
                    if (inventory.Find(c) is { } waiting)
                    {
                        pending.Add(waiting);
                        ends.Add(waiting);
                    }
                }
            }
            else
            {
                foreach (uint c in l.Clients)
                {
                    var client = inventory.Find(c);
                    connections.Add(new WhoConnection(l, client) { AcrossNetNs = NetNsCrossing.Crosses(inventory, l, client) });
                    ends.Add(client);
                }
            }
        }
        foreach (var s in inventory.Sockets)
        {
            if (s.Listener is uint li && listenerInodes.Contains(li))
            {
                var client = SocketViews.Peer(inventory, s);
                connections.Add(new WhoConnection(s, client) { AcrossNetNs = NetNsCrossing.Crosses(inventory, s, client) });
                ends.Add(s);
                ends.Add(client);
            }
        }
        var pids = SocketInventory.HolderPidsOf(ends);
        return new WhoReport(path, listeners, stale, connections, pending, inventory.ProcessesOf(pids)) { HolderPids = pids };
    }
}
