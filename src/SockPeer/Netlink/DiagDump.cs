using SockPeer.Interop;
using SockPeer.Inventory;

namespace SockPeer.Netlink;

/// <summary>What one dump returned, and whether it can be trusted to be whole.</summary>
internal sealed class DiagDumpResult
{
    /// <summary>Records, deduplicated on (inode, cookie); pending server halves (inode 0) are left out.</summary>
    public required List<UnixDiagRecord> Records { get; init; }
    /// <summary>Why the dump may be incomplete or inconsistent; empty when nothing went wrong.</summary>
    public required List<InventoryWarning> WarningDetails { get; init; }
    /// <summary>The messages of <see cref="WarningDetails"/>.</summary>
    public IReadOnlyList<string> Warnings => WarningDetails.ConvertAll(w => w.Message);
    /// <summary>False when records are known or suspected to be missing.</summary>
    public bool Complete => WarningDetails.Count == 0;
}

/// <summary>
/// Runs sock_diag dumps and single queries over a channel. Holds a reusable receive buffer, so one
/// instance serves repeated snapshots; not thread-safe.
/// </summary>
internal sealed class DiagDump
{
    private readonly SockDiagDump _loop = new(sequenceBase: 0);

    /// <summary>Dumps every AF_UNIX socket whose state bit is set in <paramref name="states"/>.</summary>
    /// <param name="channel">The channel to the namespace.</param>
    /// <param name="states">The states to dump (<see cref="UnixDiagState"/> bits).</param>
    /// <param name="show">The attributes to ask for.</param>
    /// <param name="expected">About how many sockets there are (0 or less: unknown), to size the result once.</param>
    /// <exception cref="DiagUnavailableException">The kernel has no unix_diag, or the channel fails before any record.</exception>
    public DiagDumpResult Dump(IDiagChannel channel, uint states, UnixDiagShow show, long expected = 0)
    {
        var warnings = new List<InventoryWarning>();
        // A table per dump: kept between snapshots it would keep every name ever seen.
        List<UnixDiagRecord> records = _loop.Dump(channel, new UnixDumpFormat(states, show, new NameTable()), warnings, expected);
        return new DiagDumpResult { Records = records, WarningDetails = warnings };
    }

    /// <summary>The AF_UNIX dump for <see cref="SockDiagDump"/>.</summary>
    private sealed class UnixDumpFormat(uint states, UnixDiagShow show, NameTable names) : ISockDiagDumpFormat<UnixDiagRecord>
    {
        private static readonly SockDiagDumpWording Words = new(Dump: "sock_diag", Request: "sock_diag", Refused: "AF_UNIX", Contents: "the socket list");

        public int RequestLength => UnixDiagRequest.Length;

        public void WriteRequest(Span<byte> destination, uint sequence) => UnixDiagRequest.WriteDump(destination, sequence, states, show);

        public UnixDiagRecord Parse(ReadOnlySpan<byte> payload) => UnixDiagParser.Parse(payload, names);

        public (uint Inode, ulong Cookie) Identity(UnixDiagRecord record) => (record.Inode, record.Cookie);

        // Left out: a pending server half (inode 0) has no fd to hold it; the listener's ICONS and the client's PEER 0 show the connection.
        public bool KeepsInodeZero => false;

        public SockDiagDumpWording Wording => Words;
    }

    /// <summary>Queries one socket by inode (and cookie, or <see cref="ulong.MaxValue"/> for any).</summary>
    /// <returns>The record, or null with the kernel's errno (ENOENT: gone or in another namespace; EMSGSIZE: too large to send).</returns>
    public UnixDiagRecord? QueryOne(IDiagChannel channel, uint inode, ulong cookie, UnixDiagShow show, out Errno error)
    {
        uint sequence = _loop.NextSequence();
        Span<byte> request = stackalloc byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteExact(request, sequence, inode, cookie, show);
        SockDiagDump.Send(channel, request, "sock_diag");
        byte[] buffer = _loop.Buffer;
        while (true)
        {
            Errno errno = channel.Receive(buffer, out int length, out bool truncated);
            if (errno == Errno.EINTR || errno == Errno.EAGAIN)
            {
                continue;
            }
            if (errno != Errno.None)
            {
                error = errno;
                return null;
            }
            if (truncated)
            {
                error = Errno.EMSGSIZE;
                return null;
            }
            if (length == 0)
            {
                error = Errno.EINVAL; // an empty read: no answer is coming, and waiting again would spin
                return null;
            }
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, length));
            try
            {
                while (reader.TryRead(out NetlinkMessage message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue;
                    }
                    if (message.Type == NetlinkMessageReader.TypeError)
                    {
                        error = (Errno)NetlinkMessageReader.ReadErrorPayload(message.Payload);
                        return null;
                    }
                    if (message.Type == NetlinkMessageReader.TypeSockDiagByFamily)
                    {
                        // A record of another socket is no answer: the caller would take it for this inode.
                        UnixDiagRecord record = UnixDiagParser.Parse(message.Payload);
                        error = record.Inode == inode ? Errno.None : Errno.EINVAL;
                        return error == Errno.None ? record : null;
                    }
                }
            }
            catch (NetlinkFormatException)
            {
                error = Errno.EINVAL;
                return null;
            }
        }
    }
}
