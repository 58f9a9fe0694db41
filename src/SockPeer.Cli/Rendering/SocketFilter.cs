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
    /// <summary>Owner or holder uid; a user name is resolved with <see cref="ResolveUser"/>, so both mean the same.</summary>
    public uint? Uid { get; init; }

    public bool IsEmpty => Pid is null && PathGlob is null && Type is null && State is null && Uid is null;

    /// <summary>
    /// A uid, or a name from /etc/passwd (the user database the inventory reads). An unknown name is
    /// an error, as for lsof -u and ps -u: a typo must not look like "no sockets".
    /// </summary>
    public static uint ResolveUser(string user, string passwdPath = "/etc/passwd")
    {
        if (uint.TryParse(user, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint uid))
        {
            return uid;
        }
        try
        {
            foreach (var line in File.ReadLines(passwdPath))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == user && uint.TryParse(fields[2], out uid))
                {
                    return uid;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {passwdPath} to look up user '{SocketName.Escape(user)}': {e.Message}");
        }
        throw new CliException($"no user named '{SocketName.Escape(user)}'");
    }

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
        if (Uid is uint uid && !OwnedBy(inventory, s, uid))
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

    private static bool OwnedBy(SocketInventory inventory, UnixSocket s, uint uid)
    {
        if (s.Uid == uid)
        {
            return true;
        }
        foreach (var h in s.Holders)
        {
            if (inventory.FindProcess(h.Pid) is { } p && p.Uid == uid)
            {
                return true;
            }
        }
        return false;
    }
}
