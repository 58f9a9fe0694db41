using SockPeer.Endpoints.Families;
using SockPeer.Inventory;
using SockPeer.Netlink;

namespace SockPeer.Collection;

/// <summary>Every family's dump of one network namespace: AF_UNIX's, then each endpoint family asked for, over the same channel.</summary>
/// <param name="Unix">The AF_UNIX records, queues, count and warnings.</param>
/// <param name="Endpoints">One dump per endpoint family asked for (none by default), each with its warnings.</param>
internal sealed record NamespaceFamiliesDump(NamespaceDump Unix, IReadOnlyList<FamilyDump> Endpoints);

/// <summary>
/// Dumps one network namespace for every family asked for, so that every namespace source (the plan's
/// namespaces, and those only fds or sockets keep alive) dumps the same families. AF_UNIX comes first
/// and as it always did (the hot path); the endpoint families follow over the same channel, and cost
/// nothing when none was asked for.
/// </summary>
internal sealed class FamilyDumper(NamespaceDumper unix, EndpointFamilies endpoints)
{
    /// <summary>The AF_UNIX dumper, for the passes that query single sockets.</summary>
    public NamespaceDumper Unix => unix;

    /// <summary>Dumps the namespace <paramref name="netns"/>; <paramref name="protocolsPath"/> is its /proc/net/protocols ("" when none can be read).</summary>
    /// <exception cref="DiagUnavailableException">The AF_UNIX dump failed before any record (no endpoint family was dumped then).</exception>
    public NamespaceFamiliesDump DumpNamespace(IDiagChannel channel, ulong? netns, string protocolsPath)
    {
        NamespaceDump dump = unix.DumpNamespace(channel, netns, protocolsPath);
        return new NamespaceFamiliesDump(dump, endpoints.DumpNamespace(channel, netns));
    }
}

/// <summary>What one namespace source dumped: the AF_UNIX records put together, every endpoint family's dumps, and every warning (the endpoint dumps' own stay with them).</summary>
internal sealed record CollectedDumps(RawDump Raw, IReadOnlyList<FamilyDump> Endpoints, IReadOnlyList<InventoryWarning> Warnings);
