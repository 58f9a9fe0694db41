using SockPeer.Model;

namespace SockPeer.Endpoints;

/// <summary>Adds the holders of endpoints to a snapshot's processes.</summary>
internal static class EndpointProcesses
{
    /// <summary>Every pid holding an endpoint of <paramref name="set"/>.</summary>
    public static HashSet<int> Pids(EndpointSet set)
    {
        var pids = new HashSet<int>();
        foreach (var c in set.Connections)
        {
            foreach (var e in c.Ends)
            {
                foreach (var h in e.Holders)
                {
                    pids.Add(h.Pid);
                }
            }
        }
        foreach (var s in set.Sockets)
        {
            foreach (var h in s.Holders)
            {
                pids.Add(h.Pid);
            }
        }
        return pids;
    }

    /// <summary><paramref name="processes"/> with those of the endpoints' holders it lacks, read by <paramref name="read"/>, ordered by pid.</summary>
    public static IReadOnlyList<ProcessInfo> Add(IReadOnlyList<ProcessInfo> processes, EndpointSet set, Func<IReadOnlyCollection<int>, IEnumerable<ProcessInfo>> read)
    {
        var wanted = Pids(set);
        foreach (var p in processes)
        {
            wanted.Remove(p.Pid);
        }
        if (wanted.Count == 0)
        {
            return processes;
        }
        var all = new List<ProcessInfo>(processes);
        all.AddRange(read(wanted));
        all.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        return all;
    }
}
