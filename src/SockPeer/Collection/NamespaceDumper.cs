using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// Dumps one network namespace over a channel made in it: the main dump (no ICONS, which could cut
/// it short), then absent-peer recovery, then the listener dump, then the waiting clients no listener listed asked again, with the kernel's count of sockets
/// in use read just before and after for the count check. Keeps one <see cref="DiagDump"/> (and so
/// one receive buffer) for every snapshot the reader takes.
/// </summary>
internal sealed class NamespaceDumper
{
    /// <summary>What the main dump shows.</summary>
    internal const UnixDiagShow MainShow = UnixDiagShow.Name | UnixDiagShow.Vfs | UnixDiagShow.Peer | UnixDiagShow.RqLen | UnixDiagShow.Uid;

    private readonly DiagDump _dump = new();
    private byte[] _protocols = new byte[8192];

    /// <summary>The dumper's reusable netlink buffers, for passes that query single sockets.</summary>
    public DiagDump Dump => _dump;

    /// <summary>Dumps the namespace <paramref name="netns"/>; <paramref name="protocolsPath"/> is its /proc/net/protocols ("" when none can be read).</summary>
    /// <exception cref="DiagUnavailableException">The main dump failed before any record.</exception>
    public NamespaceDump DumpNamespace(IDiagChannel channel, ulong? netns, string protocolsPath)
    {
        var warnings = new List<InventoryWarning>();
        long inUseBefore = ReadUnixInUse(protocolsPath);
        DiagDumpResult main = _dump.Dump(channel, UnixDiagState.All, MainShow, inUseBefore);
        long inUseAfter = ReadUnixInUse(protocolsPath);
        warnings.AddRange(main.WarningDetails);
        IReadOnlyList<UnixDiagRecord> records = AbsentPeerRecovery.Recover(channel, _dump, main.Records, netns, warnings);
        int warned = warnings.Count;
        ListenerQueues queues = ListenerQueueDump.Read(channel, _dump, records, warnings);
        IReadOnlyList<uint> acceptedSince = [];
        if (!warnings.Skip(warned).Any(w => w.Code == WarningCode.PendingUnknown))
        {
            // Only when the queues could be read: asking again what was refused once costs and mends nothing.
            (records, queues, acceptedSince) = PendingRecheck.Recheck(channel, _dump, records, queues, warnings);
        }
        return new NamespaceDump(netns, records, queues, new NamespaceCount(netns, records.Count, inUseBefore, inUseAfter), warnings) { AcceptedSince = acceptedSince };
    }

    /// <summary>Sockets in use per /proc/net/protocols; -1 when unknown.</summary>
    private long ReadUnixInUse(string path)
    {
        if (path.Length == 0)
        {
            return -1;
        }
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(path), ref _protocols);
        return n > 0 && ProcNetProtocols.TryParseUnixInUse(_protocols.AsSpan(0, n), out long inUse) ? inUse : -1;
    }
}
