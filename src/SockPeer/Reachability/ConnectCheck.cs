using SockPeer.Model;

namespace SockPeer.Reachability;

/// <summary>
/// One component of the path a connect(2) resolves, as the client sees it: the root, each directory it
/// searches, each symlink it follows, and the file at the end.
/// </summary>
/// <param name="Path">The component's path in the client's view (after symlinks followed so far).</param>
/// <param name="Type">directory, socket, symlink, file, fifo, char, block; null when it does not exist.</param>
/// <param name="Mode">Permission bits (07777); null when it does not exist.</param>
/// <param name="Uid">Owner; null when it does not exist.</param>
/// <param name="Gid">Group; null when it does not exist.</param>
/// <param name="Ok">Whether the client passes it: a directory it may search, a socket file it may write, an existing symlink.</param>
public sealed record PathStep(string Path, string? Type, ushort? Mode, uint? Uid, uint? Gid, bool Ok)
{
    /// <summary>For a symlink, where it points.</summary>
    public string? LinkTarget { get; init; }
}

/// <summary>Who the client is: the credentials the kernel checks on connect(2).</summary>
/// <param name="Uid">Filesystem uid.</param>
/// <param name="Gid">Filesystem gid (primary group).</param>
/// <param name="Groups">Supplementary groups.</param>
public sealed record ClientCredentials(uint Uid, uint Gid, IReadOnlyList<uint> Groups)
{
    /// <summary>The user name, when the user database has one.</summary>
    public string? User { get; init; }
}

/// <summary>What a connect(2) to <see cref="Target"/> would get, why, and what would fix it.</summary>
public sealed record ConnectCheck
{
    /// <summary>The name as given (a path, or <c>@name</c>).</summary>
    public required string Target { get; init; }
    /// <summary>The verdict.</summary>
    public required ConnectVerdict Verdict { get; init; }
    /// <summary>The errno connect(2) would fail with (<c>ECONNREFUSED</c>); null when it would succeed.</summary>
    public string? Errno { get; init; }
    /// <summary>Why, in one sentence.</summary>
    public required string Reason { get; init; }
    /// <summary>What would fix it; null when nothing needs fixing.</summary>
    public string? Fix { get; init; }
    /// <summary>The client's socket type.</summary>
    public required UnixSocketType Type { get; init; }
    /// <summary>The client's credentials.</summary>
    public required ClientCredentials Client { get; init; }
    /// <summary>The process whose view was taken (<c>--from</c>); null for the caller's own.</summary>
    public int? FromPid { get; init; }
    /// <summary>The client's network namespace, when known.</summary>
    public ulong? ClientNetNs { get; init; }
    /// <summary>The socket the name reaches (the listener, datagram server or bound socket); null when none.</summary>
    public UnixSocket? Listener { get; init; }
    /// <summary>Other sockets bound to the same name: on a replaced or deleted file, in another mount view, or in another network namespace.</summary>
    public IReadOnlyList<UnixSocket> Elsewhere { get; init; } = [];
    /// <summary>The path as the client resolves it; empty for an abstract name.</summary>
    public IReadOnlyList<PathStep> Path { get; init; } = [];
    /// <summary>What the verdict cannot see (an enforcing LSM, a partial snapshot).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Every pid holding <see cref="Listener"/> or a socket of <see cref="Elsewhere"/>, ordered.</summary>
    public IReadOnlyList<int> HolderPids { get; init; } = [];
    /// <summary>Whether a connect would succeed.</summary>
    public bool WouldConnect => Verdict == ConnectVerdict.Ok;
}

/// <summary>What the real connect of <c>check --try</c> got.</summary>
/// <param name="Errno">The errno (<c>EACCES</c>); null when it connected.</param>
/// <param name="Failure">Why the attempt could not be made as asked (entering a namespace, taking the credentials); null when it was made.</param>
public sealed record ConnectTrialResult(string? Errno, string? Failure)
{
    /// <summary>It connected.</summary>
    public bool Connected => Errno is null && Failure is null;
}
