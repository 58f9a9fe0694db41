using SockPeer.Interop;
using SockPeer.Inventory;

namespace SockPeer.Netlink;

/// <summary>
/// What one kind of sock_diag dump (AF_UNIX, TCP or UDP over IPv4 or IPv6) tells <see cref="SockDiagDump"/>:
/// how to ask, how to read a record, which records are the same socket, and what to call the dump.
/// </summary>
internal interface ISockDiagDumpFormat<TRecord>
{
    /// <summary>The request's length, nlmsghdr included.</summary>
    int RequestLength { get; }

    /// <summary>Writes the dump request with <paramref name="sequence"/> into <paramref name="destination"/> (<see cref="RequestLength"/> bytes).</summary>
    void WriteRequest(Span<byte> destination, uint sequence);

    /// <summary>Parses one SOCK_DIAG_BY_FAMILY payload; a pure function of the bytes.</summary>
    /// <exception cref="NetlinkFormatException">The payload is malformed.</exception>
    TRecord Parse(ReadOnlySpan<byte> payload);

    /// <summary>The socket a record describes: (inode, cookie), the key the dump is deduplicated on.</summary>
    (uint Inode, ulong Cookie) Identity(TRecord record);

    /// <summary>
    /// Whether records of inode 0 (server halves not accepted yet: no identity to deduplicate on) are
    /// all kept, or all left out.
    /// </summary>
    bool KeepsInodeZero { get; }

    /// <summary>The words of this dump's warnings and errors.</summary>
    SockDiagDumpWording Wording { get; }
}

/// <summary>
/// The words of one dump's warnings and errors. Operators and tests read these texts, so each kind
/// of dump keeps the wording it had.
/// </summary>
/// <param name="Dump">Names the dump: "{Dump} dump stopped early", "a malformed {Dump} record" ("sock_diag", "TCP/IPv4").</param>
/// <param name="Request">Names the request: "{Request} request failed", "{Request} receive failed" ("sock_diag", "TCP/IPv4 sock_diag").</param>
/// <param name="Refused">Names what the kernel refused: "sock_diag refused the {Refused} dump" ("AF_UNIX", "TCP/IPv4").</param>
/// <param name="Contents">Names what may be incomplete: "{Contents} may be incomplete" ("the socket list", "the list").</param>
internal sealed record SockDiagDumpWording(string Dump, string Request, string Refused, string Contents);

/// <summary>
/// The receive loop every sock_diag dump shares: send the request, read replies until NLMSG_DONE,
/// start over when the kernel drops replies, grow the buffer when a reply is cut, deduplicate on
/// (inode, cookie), and turn whatever could not be read into a warning. Holds the reusable receive
/// buffer and the sequence counter; not thread-safe.
/// </summary>
/// <remarks>
/// A normal NLMSG_DONE does not prove the dump whole: a record too large for one reply buffer (a
/// listener's ICONS with thousands of pending connections) ends the dump silently, with that socket
/// and every one after it missing. Callers avoid such records and cross-check counts.
/// </remarks>
/// <param name="sequenceBase">The sequence number before the first request; dumps sharing a channel keep theirs apart.</param>
internal sealed class SockDiagDump(uint sequenceBase)
{
    // Below 32 KiB the kernel drops records without a word (a 2 KiB buffer got 21,273 of 40,006
    // sockets); 64 KiB is safe, and MSG_TRUNC is checked all the same.
    private const int InitialBuffer = 64 * 1024;
    private const int MaxBuffer = 1024 * 1024;
    private const int MaxAttempts = 3;
    private const int MaxPresized = 1 << 21;
    private byte[] _buffer = new byte[InitialBuffer];
    private uint _sequence = sequenceBase;

    /// <summary>The receive buffer, as large as the largest reply seen so far (up to 1 MiB).</summary>
    public byte[] Buffer => _buffer;

    /// <summary>The sequence number for the next request.</summary>
    public uint NextSequence() => ++_sequence;

    /// <summary>Runs one dump; appends why it may be incomplete to <paramref name="warnings"/>.</summary>
    /// <param name="channel">The channel to the namespace.</param>
    /// <param name="format">The family's request and record parser.</param>
    /// <param name="warnings">Where to append why the dump may be incomplete.</param>
    /// <param name="expected">
    /// About how many records to expect (the kernel's count of sockets in use; 0 or less: unknown): the
    /// record list and the duplicate check are made that large at once rather than grown by doubling,
    /// which on 40,000 sockets left 3 MiB of outgrown arrays behind at the snapshot's peak.
    /// </param>
    /// <returns>The records, deduplicated on (inode, cookie).</returns>
    /// <exception cref="DiagUnavailableException">The request failed, or the kernel refused or the channel failed before any record (ENOENT: no handler for this family).</exception>
    public List<TRecord> Dump<TRecord>(IDiagChannel channel, ISockDiagDumpFormat<TRecord> format, List<InventoryWarning> warnings, long expected = 0)
    {
        // A hint, not a promise: sockets come and go, and a wild count must not become a wild allocation.
        int capacity = (int)Math.Clamp(expected + expected / 16, 0, MaxPresized);
        var attemptWarnings = new List<InventoryWarning>();
        for (int attempt = 1; ; attempt++)
        {
            var records = new List<TRecord>(capacity);
            attemptWarnings.Clear(); // what an abandoned attempt saw says nothing about the records kept
            var outcome = TryDump(channel, format, records, attemptWarnings, capacity);
            if (outcome == Outcome.Grow)
            {
                attempt--; // a larger buffer is not a lost reply; growth stops at MaxBuffer
                continue;
            }
            if (outcome == Outcome.Restart && attempt < MaxAttempts)
            {
                continue;
            }
            if (outcome == Outcome.Restart)
            {
                attemptWarnings.Add(new(WarningCode.DumpIncomplete, $"{format.Wording.Dump} dump lost replies {MaxAttempts} times in a row; {format.Wording.Contents} may be incomplete"));
            }
            warnings.AddRange(attemptWarnings);
            return records;
        }
    }

    private enum Outcome { Done, Restart, Grow }

    private Outcome TryDump<TRecord>(IDiagChannel channel, ISockDiagDumpFormat<TRecord> format, List<TRecord> records, List<InventoryWarning> warnings, int capacity)
    {
        SockDiagDumpWording words = format.Wording;
        uint sequence = NextSequence();
        Span<byte> request = stackalloc byte[format.RequestLength];
        format.WriteRequest(request, sequence);
        Send(channel, request, words.Request);

        // The dump is not a snapshot: under churn a socket can be missed or seen twice.
        var seen = new HashSet<(uint, ulong)>(capacity);
        bool interruptedNoted = false;
        while (true)
        {
            Errno errno = channel.Receive(_buffer, out int length, out bool truncated);
            if (errno is Errno.EINTR or Errno.EAGAIN)
            {
                continue;
            }
            if (errno == Errno.ENOBUFS)
            {
                return Outcome.Restart; // the kernel dropped part of the reply: start over
            }
            if (errno != Errno.None)
            {
                if (records.Count == 0)
                {
                    throw new DiagUnavailableException($"{words.Request} receive failed: {ErrnoText.Describe(errno)}", errno);
                }
                warnings.Add(new(WarningCode.DumpIncomplete, $"{words.Dump} dump stopped early: {ErrnoText.Describe(errno)}; {words.Contents} may be incomplete"));
                return Outcome.Done;
            }
            // MSG_TRUNC: the rest of this datagram is gone, and with it records; only a whole new dump into a larger buffer gets them.
            if (truncated)
            {
                if (_buffer.Length >= MaxBuffer)
                {
                    warnings.Add(new(WarningCode.DumpIncomplete, $"a {words.Dump} reply did not fit in 1 MiB and was cut; {words.Contents} may be incomplete"));
                    return Outcome.Done;
                }
                _buffer = new byte[_buffer.Length * 2];
                return Outcome.Grow;
            }
            if (length == 0)
            {
                warnings.Add(new(WarningCode.DumpIncomplete, $"{words.Dump} dump ended without NLMSG_DONE; {words.Contents} may be incomplete"));
                return Outcome.Done;
            }

            var reader = new NetlinkMessageReader(_buffer.AsSpan(0, length));
            try
            {
                while (reader.TryRead(out NetlinkMessage message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue; // a reply to an abandoned attempt, or to another dump on the same channel
                    }
                    if ((message.Flags & NetlinkMessageReader.FlagDumpInterrupted) != 0 && !interruptedNoted)
                    {
                        interruptedNoted = true;
                        warnings.Add(new(WarningCode.DumpInterrupted, $"the kernel flagged the {words.Dump} dump as interrupted by concurrent changes; it may be inconsistent"));
                    }
                    switch (message.Type)
                    {
                        case NetlinkMessageReader.TypeDone:
                            return Outcome.Done;
                        case NetlinkMessageReader.TypeError:
                            var code = (Errno)NetlinkMessageReader.ReadErrorPayload(message.Payload);
                            if (code == Errno.None)
                            {
                                continue; // an acknowledgement, not an error
                            }
                            if (records.Count == 0)
                            {
                                // ENOENT here: the kernel has no handler for this family (for AF_UNIX, CONFIG_UNIX_DIAG off or the module absent); the caller falls back.
                                throw new DiagUnavailableException($"sock_diag refused the {words.Refused} dump: {ErrnoText.Describe(code)}", code);
                            }
                            warnings.Add(new(WarningCode.DumpIncomplete, $"{words.Dump} dump failed midway: {ErrnoText.Describe(code)}; {words.Contents} may be incomplete"));
                            return Outcome.Done;
                        case NetlinkMessageReader.TypeSockDiagByFamily:
                            AddRecord(message.Payload, format, records, seen, warnings);
                            break;
                        default:
                            break;
                    }
                }
            }
            catch (NetlinkFormatException e)
            {
                warnings.Add(new(WarningCode.DumpMalformed, $"a malformed {words.Dump} reply was skipped ({e.Message}); {words.Contents} may be incomplete"));
            }
        }
    }

    private static void AddRecord<TRecord>(ReadOnlySpan<byte> payload, ISockDiagDumpFormat<TRecord> format, List<TRecord> records, HashSet<(uint, ulong)> seen, List<InventoryWarning> warnings)
    {
        TRecord record;
        try
        {
            record = format.Parse(payload);
        }
        catch (NetlinkFormatException e)
        {
            warnings.Add(new(WarningCode.DumpMalformed, $"a malformed {format.Wording.Dump} record was skipped ({e.Message})"));
            return;
        }
        (uint Inode, ulong Cookie) identity = format.Identity(record);
        if (identity.Inode == 0 ? format.KeepsInodeZero : seen.Add(identity))
        {
            records.Add(record);
        }
    }

    /// <summary>Sends a request, retrying when a signal interrupts it.</summary>
    /// <exception cref="DiagUnavailableException">The send failed: "{<paramref name="requestName"/>} request failed: …".</exception>
    public static void Send(IDiagChannel channel, ReadOnlySpan<byte> request, string requestName)
    {
        for (int i = 0; ; i++)
        {
            Errno errno = channel.Send(request);
            if (errno == Errno.None)
            {
                return;
            }
            if (errno != Errno.EINTR || i > 10)
            {
                throw new DiagUnavailableException($"{requestName} request failed: {ErrnoText.Describe(errno)}", errno);
            }
        }
    }
}
