using SockPeer.Inventory;

namespace SockPeer.Netlink;

/// <summary>
/// Runs inet_diag dumps (TCP or UDP, one address family) over a sock_diag channel: the same
/// NETLINK_SOCK_DIAG socket the AF_UNIX dump uses, so it covers the same network namespace.
/// Holds a reusable receive buffer; not thread-safe.
/// </summary>
internal sealed class InetDiagDump
{
    private readonly SockDiagDump _loop = new(sequenceBase: 0x1_0000); // apart from the AF_UNIX dump's sequence numbers on a shared channel

    /// <summary>Dumps every <paramref name="protocol"/> socket of <paramref name="family"/> in <paramref name="states"/>.</summary>
    /// <exception cref="DiagUnavailableException">The kernel has no handler for this family and protocol (ENOENT), or refused before any record.</exception>
    public List<InetDiagRecord> Dump(IDiagChannel channel, byte family, byte protocol, uint states, List<InventoryWarning> warnings)
        => _loop.Dump(channel, new InetDumpFormat(family, protocol, states), warnings);

    /// <summary>One inet dump for <see cref="SockDiagDump"/>; its warnings name it "TCP/IPv4", "UDP/IPv6" and so on.</summary>
    private sealed class InetDumpFormat(byte family, byte protocol, uint states) : ISockDiagDumpFormat<InetDiagRecord>
    {
        private readonly SockDiagDumpWording _words = Wording(family, protocol);

        private static SockDiagDumpWording Wording(byte family, byte protocol)
        {
            string name = (protocol == InetDiagRequest.Tcp ? "TCP" : "UDP") + (family == InetDiagParser.FamilyInet ? "/IPv4" : "/IPv6");
            return new(Dump: name, Request: name + " sock_diag", Refused: name, Contents: "the list");
        }

        public int RequestLength => InetDiagRequest.Length;

        public void WriteRequest(Span<byte> destination, uint sequence) => InetDiagRequest.WriteDump(destination, sequence, family, protocol, states);

        public InetDiagRecord Parse(ReadOnlySpan<byte> payload) => InetDiagParser.Parse(payload, protocol);

        public (uint Inode, ulong Cookie) Identity(InetDiagRecord record) => (record.Inode, record.Cookie);

        // Kept, every one: a server half not accepted yet (inode 0) is still the other end of a loopback connection, found by its addresses.
        public bool KeepsInodeZero => true;

        SockDiagDumpWording ISockDiagDumpFormat<InetDiagRecord>.Wording => _words;
    }
}
