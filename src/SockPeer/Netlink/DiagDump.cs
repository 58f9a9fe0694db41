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
    private const int InitialBuffer = 64 * 1024;
    private const int MaxBuffer = 1024 * 1024;
    private const int MaxAttempts = 3;
    private byte[] _buffer = new byte[InitialBuffer];
    private uint _sequence;

    /// <summary>Dumps every AF_UNIX socket whose state bit is set in <paramref name="states"/>.</summary>
    /// <exception cref="DiagUnavailableException">The kernel has no unix_diag, or the channel fails before any record.</exception>
    public DiagDumpResult Dump(IDiagChannel channel, uint states, UnixDiagShow show)
    {
        var warnings = new List<InventoryWarning>();
        for (int attempt = 1; ; attempt++)
        {
            var records = new List<UnixDiagRecord>();
            warnings.Clear(); // what an abandoned attempt saw says nothing about the records kept
            var outcome = TryDump(channel, states, show, records, warnings);
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
                warnings.Add(new(WarningCode.DumpIncomplete, $"sock_diag dump lost replies {MaxAttempts} times in a row; the socket list may be incomplete"));
            }
            return new DiagDumpResult { Records = records, WarningDetails = warnings };
        }
    }

    private enum Outcome { Done, Restart, Grow }

    private Outcome TryDump(IDiagChannel channel, uint states, UnixDiagShow show, List<UnixDiagRecord> records, List<InventoryWarning> warnings)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteDump(request, sequence, states, show);
        SendOrThrow(channel, request);

        var seen = new HashSet<(uint, ulong)>();
        bool interruptedNoted = false;
        while (true)
        {
            Errno errno = channel.Receive(_buffer, out int length, out bool truncated);
            if (errno == Errno.EINTR || errno == Errno.EAGAIN)
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
                    throw new DiagUnavailableException($"sock_diag receive failed: {ErrnoText.Describe(errno)}", errno);
                }
                warnings.Add(new(WarningCode.DumpIncomplete, $"sock_diag dump stopped early: {ErrnoText.Describe(errno)}; the socket list may be incomplete"));
                return Outcome.Done;
            }
            if (truncated)
            {
                if (_buffer.Length >= MaxBuffer)
                {
                    warnings.Add(new(WarningCode.DumpIncomplete, "a sock_diag reply did not fit in 1 MiB and was cut; the socket list may be incomplete"));
                    return Outcome.Done;
                }
                _buffer = new byte[_buffer.Length * 2];
                return Outcome.Grow;
            }
            if (length == 0)
            {
                warnings.Add(new(WarningCode.DumpIncomplete, "sock_diag dump ended without NLMSG_DONE; the socket list may be incomplete"));
                return Outcome.Done;
            }

            var reader = new NetlinkMessageReader(_buffer.AsSpan(0, length));
            try
            {
                while (reader.TryRead(out NetlinkMessage message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue; // a reply to an abandoned attempt
                    }
                    if ((message.Flags & NetlinkMessageReader.FlagDumpInterrupted) != 0 && !interruptedNoted)
                    {
                        interruptedNoted = true;
                        warnings.Add(new(WarningCode.DumpInterrupted, "the kernel flagged the sock_diag dump as interrupted by concurrent changes; it may be inconsistent"));
                    }
                    switch (message.Type)
                    {
                        case NetlinkMessageReader.TypeDone:
                            return Outcome.Done;
                        case NetlinkMessageReader.TypeError:
                            var code = (Errno)NetlinkMessageReader.ReadErrorPayload(message.Payload);
                            if (code == Errno.None)
                            {
                                continue;
                            }
                            if (records.Count == 0)
                            {
                                throw new DiagUnavailableException($"sock_diag refused the AF_UNIX dump: {ErrnoText.Describe(code)}", code);
                            }
                            warnings.Add(new(WarningCode.DumpIncomplete, $"sock_diag dump failed midway: {ErrnoText.Describe(code)}; the socket list may be incomplete"));
                            return Outcome.Done;
                        case NetlinkMessageReader.TypeSockDiagByFamily:
                            AddRecord(message.Payload, records, seen, warnings);
                            break;
                        default:
                            break;
                    }
                }
            }
            catch (NetlinkFormatException e)
            {
                warnings.Add(new(WarningCode.DumpMalformed, $"a malformed sock_diag reply was skipped ({e.Message}); the socket list may be incomplete"));
            }
        }
    }

    private static void AddRecord(ReadOnlySpan<byte> payload, List<UnixDiagRecord> records, HashSet<(uint, ulong)> seen, List<InventoryWarning> warnings)
    {
        UnixDiagRecord record;
        try
        {
            record = UnixDiagParser.Parse(payload);
        }
        catch (NetlinkFormatException e)
        {
            warnings.Add(new(WarningCode.DumpMalformed, $"a malformed sock_diag record was skipped ({e.Message})"));
            return;
        }
        if (record.Inode != 0 && seen.Add((record.Inode, record.Cookie)))
        {
            records.Add(record);
        }
    }

    /// <summary>Queries one socket by inode (and cookie, or <see cref="ulong.MaxValue"/> for any).</summary>
    /// <returns>The record, or null with the kernel's errno (ENOENT: gone or in another namespace; EMSGSIZE: too large to send).</returns>
    public UnixDiagRecord? QueryOne(IDiagChannel channel, uint inode, ulong cookie, UnixDiagShow show, out Errno error)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteExact(request, sequence, inode, cookie, show);
        SendOrThrow(channel, request);
        while (true)
        {
            Errno errno = channel.Receive(_buffer, out int length, out bool truncated);
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
            var reader = new NetlinkMessageReader(_buffer.AsSpan(0, length));
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

    private static void SendOrThrow(IDiagChannel channel, ReadOnlySpan<byte> request)
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
                throw new DiagUnavailableException($"sock_diag request failed: {ErrnoText.Describe(errno)}", errno);
            }
        }
    }
}
