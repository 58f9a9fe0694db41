using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SockPeer.Model;
using SockPeer.Proc;

namespace SockPeer.Views;

/// <summary>
/// The filter vocabulary, read once for every edge: `list`'s options, serve's command line and its
/// query parameters all split their syntax into (name, value) pairs and hand them here, so a word
/// means the same wherever it is typed. Names: <c>pid</c> (positive numbers, comma lists),
/// <c>path</c> (a <see cref="NameGlob"/>), <c>type</c> (stream, dgram or datagram, seqpacket; any
/// case; comma lists), <c>state</c> (the table's words or the kernel's; any case; comma lists),
/// <c>user</c> (a uid, or a name the user database knows; comma lists). Every value of a name adds
/// to its set; a later path replaces an earlier one.
/// </summary>
public static class SocketFilterParser
{
    private const int MaxGlob = 4096;
    private const int MaxUser = 256;

    /// <summary>The filter names, as `list`'s options without the dashes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["pid", "path", "type", "state", "user"];

    /// <summary>Whether a name may be given more than once (as `--pid` and `--user` may).</summary>
    public static bool IsRepeatable(string name) => name is "pid" or "user";

    /// <summary>
    /// Reads <paramref name="values"/> into a filter that starts from <paramref name="start"/>, or
    /// gives the first bad value's one-line error. <paramref name="optionPrefix"/> is put before a
    /// name in an error ("--" on a command line); <paramref name="passwdPath"/> is the user database.
    /// </summary>
    public static bool TryParse(
        IEnumerable<(string Name, string Value)> values,
        [NotNullWhen(true)] out SocketFilter? filter,
        [NotNullWhen(false)] out SocketFilterError? error,
        SocketFilter? start = null,
        string optionPrefix = "",
        string passwdPath = "/etc/passwd")
    {
        ArgumentNullException.ThrowIfNull(values);
        start ??= new SocketFilter();
        var pids = new HashSet<int>(start.Pids);
        var types = new HashSet<UnixSocketType>(start.Types);
        var states = new HashSet<UnixSocketState>(start.States);
        var kinds = new HashSet<SocketKind>(start.Kinds);
        var uids = new HashSet<uint>(start.Uids);
        NameGlob? glob = start.Name;
        filter = null;
        foreach (var (name, value) in values)
        {
            error = name switch
            {
                "pid" => Each(value, text => ParsePid(text, pids, optionPrefix)),
                "path" => ParseGlob(value, ref glob, optionPrefix),
                "type" => Each(value, text => ParseType(text, types, optionPrefix)),
                "state" => Each(value, text => ParseState(text, states, kinds, optionPrefix)),
                "user" => Each(value, text => ParseUser(text, uids, optionPrefix, passwdPath)),
                _ => Usage($"unknown filter '{Quote(name)}' (filters: {string.Join(", ", Names)})"),
            };
            if (error is not null)
            {
                return false;
            }
        }
        error = null;
        filter = new SocketFilter { Pids = pids, Name = glob, Types = types, States = states, Kinds = kinds, Uids = uids };
        return true;
    }

    // A comma list; an empty value is one empty (and so bad) word, not no word.
    private static SocketFilterError? Each(string value, Func<string, SocketFilterError?> one)
    {
        if (value.Length == 0)
        {
            return one(value);
        }
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (one(part) is { } error)
            {
                return error;
            }
        }
        return null;
    }

    private static SocketFilterError? ParsePid(string text, HashSet<int> pids, string prefix)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
        {
            return Usage($"{prefix}pid needs a process id (a positive number), not '{Quote(text)}'");
        }
        pids.Add(pid);
        return null;
    }

    private static SocketFilterError? ParseGlob(string value, ref NameGlob? glob, string prefix)
    {
        if (value.Length > MaxGlob)
        {
            return Usage($"{prefix}path needs a glob of 1 to {MaxGlob} characters");
        }
        if (!NameGlob.TryParse(value, out var parsed, out string? why))
        {
            return Usage($"{prefix}path: {Quote(why!)}");
        }
        glob = parsed;
        return null;
    }

    private static SocketFilterError? ParseType(string text, HashSet<UnixSocketType> types, string prefix)
    {
        switch (text.ToLowerInvariant())
        {
            case "stream": types.Add(UnixSocketType.Stream); return null;
            case "dgram" or "datagram": types.Add(UnixSocketType.Dgram); return null;
            case "seqpacket": types.Add(UnixSocketType.SeqPacket); return null;
            default: return Usage($"{prefix}type takes stream, dgram or seqpacket, not '{Quote(text)}'");
        }
    }

    private static SocketFilterError? ParseState(string text, HashSet<UnixSocketState> states, HashSet<SocketKind> kinds, string prefix)
    {
        switch (text.ToLowerInvariant())
        {
            case "listening": states.Add(UnixSocketState.Listening); return null;
            case "connected": states.Add(UnixSocketState.Connected); return null;
            case "unconnected": states.Add(UnixSocketState.Unconnected); return null;
            default:
                if (!SocketKindText.TryParse(text, out var kind))
                {
                    return Usage($"{prefix}state takes listen, conn, pending, pair, bound, unconn, closed, inflight, listening, connected or unconnected, not '{Quote(text)}'");
                }
                kinds.Add(kind);
                return null;
        }
    }

    /// <summary>
    /// A uid, or a name from the user database (the passwd file the inventory reads names from). An
    /// unknown name is an error that is not a usage error, as for lsof -u and ps -u: a typo must not
    /// look like "no sockets"; a uid no name has is fine (it just matches nothing).
    /// </summary>
    private static SocketFilterError? ParseUser(string user, HashSet<uint> uids, string prefix, string passwdPath)
    {
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
        {
            uids.Add(uid);
            return null;
        }
        if (user.Length is 0 or > MaxUser)
        {
            return Usage($"{prefix}user needs a user name or uid");
        }
        byte[] passwd;
        try
        {
            passwd = File.ReadAllBytes(passwdPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SocketFilterError($"cannot read {passwdPath} to look up user '{Quote(user)}': {e.Message}", IsUsage: false);
        }
        if (!ProcParsers.TryFindPasswdUid(passwd, user, out uid))
        {
            return new SocketFilterError($"no user named '{Quote(user)}'", IsUsage: false);
        }
        uids.Add(uid);
        return null;
    }

    private static SocketFilterError Usage(string message) => new(message, IsUsage: true);

    // A value echoed in an error: escaped to one line and cut short.
    private static string Quote(string text) => SocketName.Escape(text.Length > 64 ? text[..64] + "..." : text);
}

/// <summary>A filter value <see cref="SocketFilterParser"/> refused.</summary>
/// <param name="Message">One line saying which value and why.</param>
/// <param name="IsUsage">True for a value that cannot be right anywhere (a usage error); false for one this host cannot resolve (an unknown user name, an unreadable user database).</param>
public sealed record SocketFilterError(string Message, bool IsUsage);
