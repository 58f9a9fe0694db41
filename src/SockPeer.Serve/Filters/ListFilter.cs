using System.Globalization;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Serve.Filters;

/// <summary>
/// `sockpeer list`'s filters (pid, path, type, state, user) for the server's command line and the
/// query parameters of /api/snapshot and /api/graph: a parser in front of the engine's
/// <see cref="SocketFilter"/>, so the server selects exactly what `list` does. The path is a glob
/// over socket names and nothing more: it never reaches the file system.
/// </summary>
internal sealed record ListFilter
{
    /// <summary>The parameter names, as list's options without the dashes.</summary>
    public static readonly string[] Names = ["pid", "path", "type", "state", "user"];

    /// <summary>The engine's filter the parameters given so far build.</summary>
    public SocketFilter Filter { get; init; } = new();

    public int? Pid => Filter.Pids.Count > 0 ? Filter.Pids.First() : null;
    public UnixSocketType? Type => Filter.Types.Count > 0 ? Filter.Types.First() : null;
    public uint? Uid => Filter.Uids.Count > 0 ? Filter.Uids.First() : null;

    public bool IsEmpty => Filter.IsEmpty;

    /// <summary>Parses one filter value. Throws <see cref="FilterException"/> with a one-line message for a bad one.</summary>
    public ListFilter With(string name, string value, string passwdPath = "/etc/passwd") => name switch
    {
        "pid" => this with { Filter = Filter with { Pids = new HashSet<int>(Filter.Pids) { ParsePid(value) } } },
        "path" => this with { Filter = Filter with { Name = ParseGlob(value) } },
        "type" => this with
        {
            Filter = Filter with
            {
                Types = new HashSet<UnixSocketType>(Filter.Types)
                {
                    value switch
                    {
                        "stream" => UnixSocketType.Stream,
                        "dgram" => UnixSocketType.Dgram,
                        "seqpacket" => UnixSocketType.SeqPacket,
                        _ => throw new FilterException($"type takes stream, dgram or seqpacket, not '{SocketName.Escape(Shorten(value))}'"),
                    },
                },
            },
        },
        "state" => WithState(value),
        "user" => this with { Filter = Filter with { Uids = new HashSet<uint>(Filter.Uids) { ResolveUser(value, passwdPath) } } },
        _ => throw new FilterException($"unknown filter '{SocketName.Escape(Shorten(name))}' (filters: {string.Join(", ", Names)})"),
    };

    /// <summary>The kernel's words (listening, connected, unconnected) or the table's (listen, conn, pending, ...), as `list --state` takes them.</summary>
    private ListFilter WithState(string value)
    {
        switch (value.ToLowerInvariant())
        {
            case "listening": return this with { Filter = Filter with { States = new HashSet<UnixSocketState>(Filter.States) { UnixSocketState.Listening } } };
            case "connected": return this with { Filter = Filter with { States = new HashSet<UnixSocketState>(Filter.States) { UnixSocketState.Connected } } };
            case "unconnected": return this with { Filter = Filter with { States = new HashSet<UnixSocketState>(Filter.States) { UnixSocketState.Unconnected } } };
            default:
                return SocketKindText.TryParse(value, out var kind)
                    ? this with { Filter = Filter with { Kinds = new HashSet<SocketKind>(Filter.Kinds) { kind } } }
                    : throw new FilterException($"state takes listening, connected, unconnected or a table word (listen, conn, pending, pair, bound, unconn, closed, inflight), not '{SocketName.Escape(Shorten(value))}'");
        }
    }

    private static NameGlob ParseGlob(string value)
    {
        if (value.Length is 0 or > 4096)
        {
            throw new FilterException("path needs a glob of 1 to 4096 characters");
        }
        return NameGlob.TryParse(value, out var glob, out string? error) ? glob! : throw new FilterException($"path: {SocketName.Escape(Shorten(error!))}");
    }

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

    public bool Matches(SocketInventory inventory, UnixSocket s) => Filter.Matches(inventory, s);

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
}

/// <summary>A filter value that is not valid; the message is one line.</summary>
internal sealed class FilterException(string message) : Exception(message);
