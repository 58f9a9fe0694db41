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
        var namedSockets = new UnixSocket[sockets.Count];
        for (int i = 0; i < namedSockets.Length; i++)
        {
            var s = sockets[i];
            string? name = s.NetNs is ulong ns ? names.GetValueOrDefault(ns) : null;
            namedSockets[i] = name == s.NetNsName ? s : s with { NetNsName = name };
        }
        var namedProcesses = new ProcessInfo[processes.Count];
        for (int i = 0; i < namedProcesses.Length; i++)
        {
            var p = processes[i];
            string? name = p.NetNs is ulong ns ? names.GetValueOrDefault(ns) : null;
            namedProcesses[i] = name == p.NetNsName ? p : p with { NetNsName = name };
        }
        return (namedSockets, namedProcesses);
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
