using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Serve.Filters;

/// <summary>
/// `sockpeer list`'s filters (pid, path, type, state, user) on the server: its command line and the
/// query parameters of /api/snapshot and /api/graph are split into (name, value) pairs here and read
/// by the engine's <see cref="SocketFilterParser"/>, so the server selects exactly what `list` does.
/// The path is a glob over socket names and nothing more: it never reaches the file system.
/// </summary>
internal static class ListFilter
{
    /// <summary>
    /// The server's filter narrowed by a request's query parameters; throws
    /// <see cref="FilterException"/> with a one-line message for a bad one. Only the repeatable
    /// names (pid, user, as on the command line) may be given more than once.
    /// </summary>
    public static SocketFilter With<TValues>(SocketFilter start, IEnumerable<KeyValuePair<string, TValues>> query)
        where TValues : IReadOnlyList<string?>
    {
        var values = new List<(string, string)>();
        foreach (var (name, given) in query)
        {
            if (given.Count != 1 && !SocketFilterParser.IsRepeatable(name))
            {
                throw new FilterException($"give {SocketName.Escape(name.Length > 64 ? name[..64] : name)} once");
            }
            values.AddRange(given.Select(v => (name, v ?? "")));
        }
        return Parse(values, start, optionPrefix: "");
    }

    /// <summary>Reads (name, value) pairs on top of <paramref name="start"/>; throws <see cref="FilterException"/> for a bad value.</summary>
    public static SocketFilter Parse(IEnumerable<(string Name, string Value)> values, SocketFilter? start, string optionPrefix)
        => SocketFilterParser.TryParse(values, out var filter, out var error, start, optionPrefix) ? filter : throw new FilterException(error.Message);

    /// <summary>The sockets that match, and the processes holding them (as `list --json` writes them).</summary>
    public static (IReadOnlyList<UnixSocket> Sockets, IReadOnlyList<ProcessInfo> Processes) Apply(SocketInventory inventory, SocketFilter filter)
    {
        if (filter.IsEmpty)
        {
            return (inventory.Sockets, inventory.Processes);
        }
        var sockets = inventory.Sockets.Where(s => filter.Matches(inventory, s)).ToList();
        return (sockets, inventory.ProcessesOf(sockets));
    }
}

/// <summary>A filter value that is not valid; the message is one line.</summary>
internal sealed class FilterException(string message) : Exception(message);
