using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Cli.Rendering;

/// <summary>The list filters. A connection matches when either end does.</summary>
internal sealed class SocketFilter
{
    public int? Pid { get; init; }
    public string? PathGlob { get; init; }
    public UnixSocketType? Type { get; init; }
    public UnixSocketState? State { get; init; }
    public string? User { get; init; }

    public bool IsEmpty => Pid is null && PathGlob is null && Type is null && State is null && User is null;

    public bool Matches(SocketInventory inventory, UnixSocket s)
    {
        if (Type is { } type && s.Type != type)
        {
            return false;
        }
        if (State is { } state && s.State != state)
        {
            return false;
        }
        UnixSocket? peer = s.Peer is uint p and not 0 ? inventory.Find(p) : null;
        UnixSocket? other = peer ?? (s.PendingOn is uint l ? inventory.Find(l) : null);
        if (Pid is int pid && !HeldBy(s, pid) && !(other is not null && HeldBy(other, pid)))
        {
            return false;
        }
        if (PathGlob is { } glob && !NameMatches(s, glob) && !(other is not null && NameMatches(other, glob)))
        {
            return false;
        }
        if (User is { } user && !OwnedBy(inventory, s, user))
        {
            return false;
        }
        return true;
    }

    private static bool HeldBy(UnixSocket s, int pid)
    {
        foreach (var h in s.Holders)
        {
            if (h.Pid == pid)
            {
                return true;
            }
        }
        return false;
    }

    private static bool NameMatches(UnixSocket s, string glob) => s.Name is { } name && Glob.IsMatch(glob, name);

    private static bool OwnedBy(SocketInventory inventory, UnixSocket s, string user)
    {
        bool numeric = uint.TryParse(user, out uint uid);
        if (numeric && s.Uid == uid)
        {
            return true;
        }
        foreach (var h in s.Holders)
        {
            if (inventory.FindProcess(h.Pid) is { } p && ((numeric && p.Uid == uid) || p.User == user))
            {
                return true;
            }
        }
        return false;
    }
}
