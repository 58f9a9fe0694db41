using SockPeer.Interop;
using SockPeer.Model;

namespace SockPeer.Reachability;

/// <summary>One component the path walk met (what lstat said), before any permission is judged.</summary>
internal readonly record struct WalkedComponent(string Path, int Parent, Errno Errno, PathStatus Status, string? LinkTarget);

/// <summary>
/// Everything <see cref="ConnectRules"/> decides from besides the snapshot, gathered once by
/// <see cref="ClientViewReader"/>: the name, the client (credentials, socket type, network namespace)
/// and the path walked as the client sees it.
/// </summary>
public sealed class ClientView
{
    internal ClientView(string target, byte[] name, UnixSocketType type, ClientCredentials client, int? fromPid, ulong? netNs,
        IReadOnlyList<WalkedComponent> walk, Errno walkStop, IReadOnlyList<string> lsmNotes)
    {
        Target = target;
        Name = name;
        Type = type;
        Client = client;
        FromPid = fromPid;
        NetNs = netNs;
        Walk = walk;
        WalkStop = walkStop;
        LsmNotes = lsmNotes;
    }

    /// <summary>The name as given.</summary>
    public string Target { get; }
    /// <summary>The name's bytes as connect(2) passes them (an abstract name with its leading NUL).</summary>
    internal byte[] Name { get; }
    /// <summary>The client's socket type.</summary>
    public UnixSocketType Type { get; }
    /// <summary>The client's credentials.</summary>
    public ClientCredentials Client { get; }
    /// <summary>The process whose view this is; null for the caller's.</summary>
    public int? FromPid { get; }
    /// <summary>The client's network namespace inode, when readable.</summary>
    public ulong? NetNs { get; }
    /// <summary>An abstract name.</summary>
    public bool IsAbstract => Name.Length > 0 && Name[0] == 0;
    internal IReadOnlyList<WalkedComponent> Walk { get; }
    internal Errno WalkStop { get; }
    internal IReadOnlyList<string> LsmNotes { get; }
}
