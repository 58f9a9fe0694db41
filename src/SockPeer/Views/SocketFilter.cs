using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// The list filters, shared by every command that lists sockets (list, watch, serve, graph). Each
/// property left empty matches everything; within one property any value matches (`--type
/// stream,dgram`); all properties must match. A connection matches when either end matches the pid
/// or the name, and so does a pending connection: the client and the listener it waits on.
/// </summary>
public sealed record SocketFilter
{
    /// <summary>Holder pids: a socket matches when one of them holds it or its other end.</summary>
    public IReadOnlySet<int> Pids { get; init; } = new HashSet<int>();
    /// <summary>A glob on the socket's display name (or its other end's).</summary>
    public NameGlob? Name { get; init; }
    /// <summary>Socket types.</summary>
    public IReadOnlySet<UnixSocketType> Types { get; init; } = new HashSet<UnixSocketType>();
    /// <summary>The kernel's states (`listening`, `connected`, `unconnected`); a socket matches a state or a kind.</summary>
    public IReadOnlySet<UnixSocketState> States { get; init; } = new HashSet<UnixSocketState>();
    /// <summary>The table's words (<see cref="SocketKind"/>); a socket matches a state or a kind.</summary>
    public IReadOnlySet<SocketKind> Kinds { get; init; } = new HashSet<SocketKind>();
    /// <summary>Owner or holder uids.</summary>
    public IReadOnlySet<uint> Uids { get; init; } = new HashSet<uint>();

    /// <summary>True when nothing is filtered.</summary>
    public bool IsEmpty => Pids.Count == 0 && Name is null && Types.Count == 0 && States.Count == 0 && Kinds.Count == 0 && Uids.Count == 0;

    /// <summary>Whether <paramref name="s"/> is selected.</summary>
    public bool Matches(SocketInventory inventory, UnixSocket s)
    {
        if (Types.Count > 0 && !Types.Contains(s.Type))
        {
            return false;
        }
        if ((States.Count > 0 || Kinds.Count > 0) && !States.Contains(s.State) && !Kinds.Contains(SocketViews.Classify(inventory, s).Kind))
        {
            return false;
        }
        UnixSocket? other = Pids.Count > 0 || Name is not null ? SocketViews.OtherEnd(inventory, s) : null;
        if (Pids.Count > 0 && !HeldBySelected(s) && !(other is not null && HeldBySelected(other)) && !PendingClientHeldBySelected(inventory, s))
        {
            return false;
        }
        if (Name is { } glob && !NameMatches(glob, s) && !(other is not null && NameMatches(glob, other)))
        {
            return false;
        }
        if (Uids.Count > 0 && !OwnedBySelected(inventory, s))
        {
            return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="s"/>'s name matches, as bound or as it resolves now (<see cref="SocketFile.ResolvedPath"/>).</summary>
    public static bool NameMatches(NameGlob glob, UnixSocket s)
    {
        ArgumentNullException.ThrowIfNull(glob);
        ArgumentNullException.ThrowIfNull(s);
        return (s.NameBytes is { } name && glob.Matches(name)) || (s.File?.ResolvedPath is { } resolved && glob.Matches(resolved));
    }

    /// <summary>Whether one of <see cref="Pids"/> holds <paramref name="s"/>.</summary>
    public bool HeldBySelected(UnixSocket s)
    {
        foreach (var h in s.Holders)
        {
            if (Pids.Contains(h.Pid))
            {
                return true;
            }
        }
        return false;
    }

    // Either end of a pending connection selects the pair: the listener too, for its waiting client's pid.
    private bool PendingClientHeldBySelected(SocketInventory inventory, UnixSocket s)
    {
        foreach (uint c in s.Pending)
        {
            if (inventory.Find(c) is { } client && HeldBySelected(client))
            {
                return true;
            }
        }
        return false;
    }

    private bool OwnedBySelected(SocketInventory inventory, UnixSocket s)
    {
        if (s.Uid is uint owner && Uids.Contains(owner))
        {
            return true;
        }
        foreach (var h in s.Holders)
        {
            if (inventory.FindProcess(h.Pid) is { } p && Uids.Contains(p.Uid))
            {
                return true;
            }
        }
        return false;
    }
}
