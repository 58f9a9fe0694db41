using System.Globalization;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Serve.Filters;

/// <summary>
/// `sockpeer list`'s filters (--pid, --path, --type, --state, --user), for the server's command line
/// and /api/snapshot's query parameters. An adapter over the logic of src/SockPeer.Cli/Rendering/SocketFilter.cs:
/// when that filter moves into the engine as a public type, this file becomes a parser in front of it.
/// A connection matches when either end does.
/// </summary>
internal sealed record ListFilter
{
    /// <summary>The parameter names, as list's options without the dashes.</summary>
    public static readonly string[] Names = ["pid", "path", "type", "state", "user"];

    public int? Pid { get; init; }
    public string? PathGlob { get; init; }
    public UnixSocketType? Type { get; init; }
    public UnixSocketState? State { get; init; }
    public uint? Uid { get; init; }

    public bool IsEmpty => Pid is null && PathGlob is null && Type is null && State is null && Uid is null;

    /// <summary>
    /// Parses one filter value. Throws <see cref="FilterException"/> with a one-line message for a bad
    /// one. The path is a glob over socket names and nothing more: it never reaches the file system.
    /// </summary>
    public ListFilter With(string name, string value, string passwdPath = "/etc/passwd") => name switch
    {
        "pid" => this with { Pid = ParsePid(value) },
        "path" => this with { PathGlob = value.Length > 0 && value.Length <= 4096 ? value : throw new FilterException("path needs a glob of 1 to 4096 characters") },
        "type" => this with
        {
            Type = value switch
            {
                "stream" => UnixSocketType.Stream,
                "dgram" => UnixSocketType.Dgram,
                "seqpacket" => UnixSocketType.SeqPacket,
                _ => throw new FilterException($"type takes stream, dgram or seqpacket, not '{SocketName.Escape(Shorten(value))}'"),
            },
        },
        "state" => this with
        {
            State = value switch
            {
                "listening" => UnixSocketState.Listening,
                "connected" => UnixSocketState.Connected,
                "unconnected" => UnixSocketState.Unconnected,
                _ => throw new FilterException($"state takes listening, connected or unconnected, not '{SocketName.Escape(Shorten(value))}'"),
            },
        },
        "user" => this with { Uid = ResolveUser(value, passwdPath) },
        _ => throw new FilterException($"unknown filter '{SocketName.Escape(Shorten(name))}' (filters: {string.Join(", ", Names)})"),
    };

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "..." : text;

    private static int ParsePid(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0)
        {
            return pid;
        }
        throw new FilterException($"pid needs a process id (a positive number), not '{SocketName.Escape(Shorten(text))}'");
    }

    /// <summary>A uid, or a name from the passwd file; an unknown name is an error (a typo must not look like "no sockets").</summary>
    private static uint ResolveUser(string user, string passwdPath)
    {
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
        {
            return uid;
        }
        if (user.Length is 0 or > 256)
        {
            throw new FilterException("user needs a user name or uid");
        }
        try
        {
            foreach (var line in File.ReadLines(passwdPath))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == user && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uid))
                {
                    return uid;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FilterException($"cannot read {passwdPath} to look up user '{SocketName.Escape(Shorten(user))}': {e.Message}");
        }
        throw new FilterException($"no user named '{SocketName.Escape(Shorten(user))}'");
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

    /// <summary>The sockets that match, and the processes holding them (as `list --json` writes them).</summary>
    public (IReadOnlyList<UnixSocket> Sockets, IReadOnlyList<ProcessInfo> Processes) Apply(SocketInventory inventory)
    {
        if (IsEmpty)
        {
            return (inventory.Sockets, inventory.Processes);
        }
        var sockets = inventory.Sockets.Where(s => Matches(inventory, s)).ToList();
        var pids = new HashSet<int>(sockets.SelectMany(s => s.Holders).Select(h => h.Pid));
        return (sockets, inventory.Processes.Where(p => pids.Contains(p.Pid)).ToList());
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

/// <summary>A filter value that is not valid; the message is one line.</summary>
internal sealed class FilterException(string message) : Exception(message);
