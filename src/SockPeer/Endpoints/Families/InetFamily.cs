using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>
/// TCP or UDP (IPv4 and IPv6): an inet_diag dump per namespace, over the channel the AF_UNIX dump
/// used, and <see cref="InetJoin"/> to make local connections out of every namespace's records.
/// </summary>
internal sealed class InetFamily : IEndpointFamily
{
    private static readonly byte[] AddressFamilies = [InetDiagParser.FamilyInet, InetDiagParser.FamilyInet6];
    private readonly InetDiagDump _dump = new();
    private readonly byte _protocol;
    private readonly uint _states;

    private InetFamily(EndpointKinds kind, byte protocol, uint states)
    {
        Kind = kind;
        _protocol = protocol;
        _states = states;
    }

    /// <summary>A TCP family, with its own receive buffer.</summary>
    public static InetFamily Tcp() => new(EndpointKinds.Tcp, InetDiagRequest.Tcp, InetDiagRequest.TcpStates);

    /// <summary>A UDP family, with its own receive buffer.</summary>
    public static InetFamily Udp() => new(EndpointKinds.Udp, InetDiagRequest.Udp, InetDiagRequest.AllStates);

    /// <inheritdoc/>
    public EndpointKinds Kind { get; }

    /// <inheritdoc/>
    public FamilyDump Dump(IDiagChannel channel, ulong? netns)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var records = new List<InetRecord>();
        var warnings = new List<InventoryWarning>();
        foreach (byte family in AddressFamilies)
        {
            try
            {
                foreach (var r in _dump.Dump(channel, family, _protocol, _states, warnings))
                {
                    records.Add(new InetRecord(r, netns));
                }
            }
            catch (DiagUnavailableException e)
            {
                // No inet_diag (or no udp_diag) module, or IPv6 off: that family's sockets are missing.
                warnings.Add(new InventoryWarning(WarningCode.NamespaceNotDumped, $"{e.Message}; those sockets are missing" + (netns is ulong ns ? $" from network namespace {ns}" : "")) { NetNs = netns });
            }
        }
        return new FamilyDump(Kind, netns, records, warnings);
    }

    /// <inheritdoc/>
    public FamilyJoin Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds)
    {
        var records = new List<InetRecord>();
        foreach (var d in dumps)
        {
            records.AddRange(d.Records);
        }
        return InetJoin.Join(records, fds?.Workers ?? []);
    }
}
