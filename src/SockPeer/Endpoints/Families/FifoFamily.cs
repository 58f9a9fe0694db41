using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>Named pipes: no namespace holds them; the fd walk's links that stat as FIFOs, grouped by device and inode.</summary>
internal sealed class FifoFamily : IEndpointFamily
{
    /// <inheritdoc/>
    public EndpointKinds Kind => EndpointKinds.Fifo;

    /// <inheritdoc/>
    public FamilyDump Dump(IDiagChannel channel, ulong? netns) => FamilyDump.Nothing(Kind, netns);

    /// <inheritdoc/>
    public FamilyJoin Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds)
    {
        var byFile = new Dictionary<(uint, uint, ulong), (string Path, List<EndpointHolder> Holders)>();
        foreach (var c in EndpointFamilies.Collectors(fds))
        {
            foreach (var f in c.Fifos)
            {
                var key = (f.Major, f.Minor, f.Inode);
                if (!byFile.TryGetValue(key, out var entry))
                {
                    byFile[key] = entry = (f.Path, []);
                }
                entry.Holders.Add(new EndpointHolder(f.Pid, f.Fd, f.Access));
            }
        }
        var connections = new List<EndpointConnection>(byFile.Count);
        foreach (var ((major, minor, inode), entry) in byFile.OrderBy(kv => kv.Key.Item3))
        {
            connections.Add(new EndpointConnection(EndpointKind.Fifo, EndpointFamilies.Ends(EndpointKind.Fifo, inode, entry.Path, $"{major}:{minor}", EndpointFamilies.Sorted(entry.Holders))));
        }
        return new FamilyJoin(connections, [], []);
    }
}
