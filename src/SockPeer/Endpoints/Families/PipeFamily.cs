using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>Anonymous pipes: no namespace holds them; the fd walk's <c>pipe:[N]</c> links, grouped by inode.</summary>
internal sealed class PipeFamily : IEndpointFamily
{
    /// <inheritdoc/>
    public EndpointKinds Kind => EndpointKinds.Pipe;

    /// <inheritdoc/>
    public FamilyDump Dump(IDiagChannel channel, ulong? netns) => FamilyDump.Nothing(Kind, netns);

    /// <inheritdoc/>
    public FamilyJoin Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds)
    {
        var byInode = new Dictionary<ulong, List<EndpointHolder>>();
        foreach (var c in EndpointFamilies.Collectors(fds))
        {
            foreach (var p in c.Pipes)
            {
                if (!byInode.TryGetValue(p.Inode, out var list))
                {
                    byInode[p.Inode] = list = [];
                }
                list.Add(new EndpointHolder(p.Pid, p.Fd, p.Access));
            }
        }
        var connections = new List<EndpointConnection>(byInode.Count);
        foreach (var (inode, holders) in byInode.OrderBy(kv => kv.Key))
        {
            connections.Add(new EndpointConnection(EndpointKind.Pipe, EndpointFamilies.Ends(EndpointKind.Pipe, inode, null, null, EndpointFamilies.Sorted(holders))));
        }
        return new FamilyJoin(connections, [], []);
    }
}
