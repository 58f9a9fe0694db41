using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>
/// One kind of endpoint beside AF_UNIX, as util-linux lsfd's <c>sock_xinfo_class</c>: what one network
/// namespace holds of it (TCP and UDP: an inet_diag dump; pipes, FIFOs and ptys: nothing, they are found
/// by the fd walk alone) and how its dumps join with the fd walk. Every namespace source (the plan's
/// namespaces and those only fds or sockets keep alive) dumps every family that was asked for, through
/// <see cref="EndpointFamilies.DumpNamespace"/>. A family keeps only reusable buffers: one reader's,
/// never shared between threads.
/// </summary>
internal interface IEndpointFamily
{
    /// <summary>The kind this family reads.</summary>
    EndpointKinds Kind { get; }

    /// <summary>What the namespace <paramref name="channel"/> is bound to holds of this family.</summary>
    FamilyDump Dump(IDiagChannel channel, ulong? netns);

    /// <summary>Joins every namespace's <paramref name="dumps"/> of this family with the fd walk (null: it failed or was not made).</summary>
    FamilyJoin Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds);
}

/// <summary>One inet_diag record and the namespace whose dump produced it.</summary>
internal readonly record struct InetRecord(InetDiagRecord Record, ulong? NetNs);

/// <summary>What one family's dump of one namespace found, with that dump's warnings.</summary>
internal sealed record FamilyDump(EndpointKinds Kind, ulong? NetNs, IReadOnlyList<InetRecord> Records, IReadOnlyList<InventoryWarning> Warnings)
{
    /// <summary>A family no namespace holds (pipes, FIFOs, ptys): nothing to dump.</summary>
    public static FamilyDump Nothing(EndpointKinds kind, ulong? netns) => new(kind, netns, [], []);
}

/// <summary>What one family's join found: local channels, every socket with its peer and listener, and the warnings of the join.</summary>
internal sealed record FamilyJoin(IReadOnlyList<EndpointConnection> Connections, IReadOnlyList<InetSocketLink> Sockets, IReadOnlyList<InventoryWarning> Warnings);
