using SockPeer.Interop;
using SockPeer.Inventory;

namespace SockPeer.Netlink;

/// <summary>
/// Runs inet_diag dumps (TCP or UDP, one address family) over a sock_diag channel: the same
/// NETLINK_SOCK_DIAG socket the AF_UNIX dump uses, so it covers the same network namespace.
/// Holds a reusable receive buffer; not thread-safe.
/// </summary>
internal sealed class InetDiagDump
{
    private const int MaxBuffer = 1024 * 1024;
    private const int MaxAttempts = 3;
    private byte[] _buffer = new byte[64 * 1024];
    private uint _sequence = 0x1_0000; // apart from the AF_UNIX dump's sequence numbers on a shared channel

    /// <summary>Dumps every <paramref name="protocol"/> socket of <paramref name="family"/> in <paramref name="states"/>.</summary>
    /// <exception cref="DiagUnavailableException">The kernel has no handler for this family and protocol (ENOENT), or refused before any record.</exception>
    public List<InetDiagRecord> Dump(IDiagChannel channel, byte family, byte protocol, uint states, List<InventoryWarning> warnings)
    {
        var attemptWarnings = new List<InventoryWarning>();
        for (int attempt = 1; ; attempt++)
        {
            var records = new List<InetDiagRecord>();
            attemptWarnings.Clear();
            var outcome = TryDump(channel, family, protocol, states, records, attemptWarnings);
            if (outcome == Outcome.Grow)
            {
                attempt--;
                continue;
            }
            if (outcome == Outcome.Restart && attempt < MaxAttempts)
            {
                continue;
            }
            if (outcome == Outcome.Restart)
            {
                attemptWarnings.Add(new(WarningCode.DumpIncomplete, $"{Name(family, protocol)} dump lost replies {MaxAttempts} times in a row; the list may be incomplete"));
            }
            warnings.AddRange(attemptWarnings);
            return records;
        }
    }

    private static string Name(byte family, byte protocol)
        => (protocol == InetDiagRequest.Tcp ? "TCP" : "UDP") + (family == InetDiagParser.FamilyInet ? "/IPv4" : "/IPv6");

    private enum Outcome { Done, Restart, Grow }

    private Outcome TryDump(IDiagChannel channel, byte family, byte protocol, uint states, List<InetDiagRecord> records, List<InventoryWarning> warnings)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[InetDiagRequest.Length];
        InetDiagRequest.WriteDump(request, sequence, family, protocol, states);
        Errno sent = channel.Send(request);
        if (sent == Errno.EINTR)
        {
            sent = channel.Send(request);
        }
        if (sent != Errno.None)
        {
            throw new DiagUnavailableException($"{Name(family, protocol)} sock_diag request failed: {ErrnoText.Describe(sent)}", sent);
        }
        var seen = new HashSet<(uint, ulong)>();
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
                return Outcome.Restart;
            }
            if (errno != Errno.None)
            {
                if (records.Count == 0)
                {
                    throw new DiagUnavailableException($"{Name(family, protocol)} sock_diag receive failed: {ErrnoText.Describe(errno)}", errno);
                }
                warnings.Add(new(WarningCode.DumpIncomplete, $"{Name(family, protocol)} dump stopped early: {ErrnoText.Describe(errno)}; the list may be incomplete"));
                return Outcome.Done;
            }
            if (truncated)
            {
                if (_buffer.Length >= MaxBuffer)
                {
                    warnings.Add(new(WarningCode.DumpIncomplete, $"a {Name(family, protocol)} reply did not fit in 1 MiB and was cut; the list may be incomplete"));
                    return Outcome.Done;
                }
                _buffer = new byte[_buffer.Length * 2];
                return Outcome.Grow;
            }
            if (length == 0)
            {
                warnings.Add(new(WarningCode.DumpIncomplete, $"{Name(family, protocol)} dump ended without NLMSG_DONE; the list may be incomplete"));
                return Outcome.Done;
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
                    if ((message.Flags & NetlinkMessageReader.FlagDumpInterrupted) != 0 && !interruptedNoted)
                    {
                        interruptedNoted = true;
                        warnings.Add(new(WarningCode.DumpInterrupted, $"the kernel flagged the {Name(family, protocol)} dump as interrupted by concurrent changes; it may be inconsistent"));
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
                                throw new DiagUnavailableException($"sock_diag refused the {Name(family, protocol)} dump: {ErrnoText.Describe(code)}", code);
                            }
                            warnings.Add(new(WarningCode.DumpIncomplete, $"{Name(family, protocol)} dump failed midway: {ErrnoText.Describe(code)}; the list may be incomplete"));
                            return Outcome.Done;
                        case NetlinkMessageReader.TypeSockDiagByFamily:
                            try
                            {
                                var r = InetDiagParser.Parse(message.Payload, protocol);
                                if (r.Inode == 0 || seen.Add((r.Inode, r.Cookie)))
                                {
                                    records.Add(r);
                                }
                            }
                            catch (NetlinkFormatException e)
                            {
                                warnings.Add(new(WarningCode.DumpMalformed, $"a malformed {Name(family, protocol)} record was skipped ({e.Message})"));
                            }
                            break;
                        default:
                            break;
                    }
                }
            }
            catch (NetlinkFormatException e)
            {
                warnings.Add(new(WarningCode.DumpMalformed, $"a malformed {Name(family, protocol)} reply was skipped ({e.Message}); the list may be incomplete"));
            }
        }
    }
}
