using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Joining;

/// <summary>
/// Names network namespaces, the one place that does: the `ip netns` name (a bind mount under
/// /run/netns, matched by the nsfs inode) first, else the container every process seen in the
/// namespace belongs to (its name from <see cref="ContainerNaming"/>, else its short id; never a
/// systemd unit, and never a namespace that also holds processes of no or another container, such as
/// the host's with a `--network host` container in it). Sockets and processes carry the name
/// (<see cref="UnixSocket.NetNsName"/>, <see cref="ProcessInfo.NetNsName"/>), and every view reads it there.
/// </summary>
internal static class NetNsNaming
{
    /// <summary>The sockets and processes with their namespaces' names filled in (records unchanged where there is none).</summary>
    public static (IReadOnlyList<UnixSocket> Sockets, IReadOnlyList<ProcessInfo> Processes) Name(
        IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes, IReadOnlyList<MountedNetNsName> mounted)
    {
        var names = Table(processes, mounted);
        if (names.Count == 0)
        {
            return (sockets, processes);
        }
        // The lists are copied only when a name changes: a snapshot read again for more processes keeps
        // its socket list (callers and tests rely on a snapshot that did not change being the same one).
        return (Renamed(sockets, s => s.NetNs, s => s.NetNsName, (s, name) => s with { NetNsName = name }, names),
                Renamed(processes, p => p.NetNs, p => p.NetNsName, (p, name) => p with { NetNsName = name }, names));
    }

    private static IReadOnlyList<T> Renamed<T>(IReadOnlyList<T> items, Func<T, ulong?> netNs, Func<T, string?> current,
        Func<T, string?, T> withName, Dictionary<ulong, string> names)
    {
        T[]? renamed = null;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string? name = netNs(item) is ulong ns ? names.GetValueOrDefault(ns) : null;
            if (name == current(item))
            {
                if (renamed is not null)
                {
                    renamed[i] = item;
                }
                continue;
            }
            if (renamed is null)
            {
                renamed = new T[items.Count];
                for (int j = 0; j < i; j++)
                {
                    renamed[j] = items[j];
                }
            }
            renamed[i] = withName(item, name);
        }
        return renamed ?? items;
    }

    /// <summary>Namespace inode to name.</summary>
    internal static Dictionary<ulong, string> Table(IReadOnlyList<ProcessInfo> processes, IReadOnlyList<MountedNetNsName> mounted)
    {
        var names = new Dictionary<ulong, string>();
        // One namespace mounted under several names: the first in ordinal order, so the answer is stable.
        foreach (var m in mounted.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            names.TryAdd(m.Inode, m.Name);
        }
        var containerOf = new Dictionary<ulong, string?>();
        foreach (var p in processes)
        {
            if (p.NetNs is not ulong ns || names.ContainsKey(ns))
            {
                continue;
            }
            string? label = p.Container is { Runtime: not "systemd" } c ? c.Name ?? Short(c.Id) : null;
            // null marks a namespace with a process of no container (or two containers): it gets no name.
            containerOf[ns] = containerOf.TryGetValue(ns, out string? seen) && seen != label ? null : label;
        }
        foreach (var (ns, label) in containerOf)
        {
            if (label is not null)
            {
                names[ns] = label;
            }
        }
        return names;
    }

    private static string? Short(string? id) => id is { Length: > 12 } ? id[..12] : id;
}
