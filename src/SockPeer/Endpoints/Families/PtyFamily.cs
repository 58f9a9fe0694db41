using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>Pseudo-terminals: no namespace holds them; the fd walk's /dev/pts/N links and ptmx masters (by the tty-index of their fdinfo), grouped by index.</summary>
internal sealed class PtyFamily : IEndpointFamily
{
    /// <inheritdoc/>
    public EndpointKinds Kind => EndpointKinds.Pty;

    /// <inheritdoc/>
    public FamilyDump Dump(IDiagChannel channel, ulong? netns) => FamilyDump.Nothing(Kind, netns);

    /// <inheritdoc/>
    public FamilyJoin Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds)
    {
        var byIndex = new SortedDictionary<int, (List<EndpointHolder> Master, List<EndpointHolder> Slave)>();
        int withoutIndex = 0;
        foreach (var c in EndpointFamilies.Collectors(fds))
        {
            withoutIndex += c.PtyMastersWithoutIndex;
            foreach (var p in c.Ptys)
            {
                if (!byIndex.TryGetValue(p.Index, out var sides))
                {
                    byIndex[p.Index] = sides = ([], []);
                }
                (p.Master ? sides.Master : sides.Slave).Add(new EndpointHolder(p.Pid, p.Fd, p.Access));
            }
        }
        InventoryWarning[] warnings = withoutIndex == 0 ? [] :
        [
            new InventoryWarning(WarningCode.HoldersUnknown, $"{withoutIndex} pty master fd(s) showed no tty-index in fdinfo (kernel older than 4.19, or the fd closed meanwhile): their slaves are listed without them") { Count = withoutIndex },
        ];
        var connections = new List<EndpointConnection>(byIndex.Count);
        foreach (var (index, sides) in byIndex)
        {
            string name = $"/dev/pts/{index}";
            var ends = new List<Endpoint>(2);
            if (sides.Master.Count > 0)
            {
                ends.Add(new Endpoint { Kind = EndpointKind.Pty, Id = (ulong)index, Name = name, State = "master", Holders = EndpointFamilies.Sorted(sides.Master) });
            }
            if (sides.Slave.Count > 0)
            {
                ends.Add(new Endpoint { Kind = EndpointKind.Pty, Id = (ulong)index, Name = name, State = "slave", Holders = EndpointFamilies.Sorted(sides.Slave) });
            }
            connections.Add(new EndpointConnection(EndpointKind.Pty, ends));
        }
        return new FamilyJoin(connections, [], warnings);
    }
}
