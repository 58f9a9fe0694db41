using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// Dumps one network namespace over a channel made in it: the main dump (no ICONS, which could cut
/// it short), then absent-peer recovery, then the listener dump, with the kernel's count of sockets
/// in use read just before and after for the count check. Under the bpf collector the channel carries
/// an <c>iter/unix</c> iterator made in the same namespace, and one read of it replaces both dumps
/// (the same records, and every listener's queue read in the same pass). Keeps one
/// <see cref="DiagDump"/> and one iterator buffer for every snapshot the reader takes.
/// </summary>
internal sealed class NamespaceDumper
{
    /// <summary>What the main dump shows.</summary>
    internal const UnixDiagShow MainShow = UnixDiagShow.Name | UnixDiagShow.Vfs | UnixDiagShow.Peer | UnixDiagShow.RqLen | UnixDiagShow.Uid;

    private readonly DiagDump _dump = new();
    private byte[] _protocols = new byte[8192];
    private readonly byte[] _iterator = new byte[64 * 1024];

    /// <summary>The dumper's reusable netlink buffers, for passes that query single sockets.</summary>
    public DiagDump Dump => _dump;

    /// <summary>Dumps the namespace <paramref name="netns"/>; <paramref name="protocolsPath"/> is its /proc/net/protocols ("" when none can be read).</summary>
    /// <exception cref="DiagUnavailableException">The main dump failed before any record.</exception>
    public NamespaceDump DumpNamespace(IDiagChannel channel, ulong? netns, string protocolsPath)
    {
        var warnings = new List<InventoryWarning>();
        long inUseBefore = ReadUnixInUse(protocolsPath);
        UnixIteratorRead? iterated = channel.UnixIterator is { } iterator ? ReadIterator(iterator) : null;
        IReadOnlyList<UnixDiagRecord> dumped;
        if (iterated is not null)
        {
            dumped = iterated.Records;
        }
        else
        {
            if (channel.UnixIteratorError != Errno.None)
            {
                warnings.Add(new InventoryWarning(WarningCode.CollectorFellBack, $"the bpf collector's iterator could not be made in network namespace {netns?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(this one)"} ({ErrnoText.Describe(channel.UnixIteratorError)}): it was read through sock_diag") { NetNs = netns, Count = 1 });
            }
            DiagDumpResult main = _dump.Dump(channel, UnixDiagState.All, MainShow);
            warnings.AddRange(main.WarningDetails);
            dumped = main.Records;
        }
        long inUseAfter = ReadUnixInUse(protocolsPath);
        IReadOnlyList<UnixDiagRecord> records = AbsentPeerRecovery.Recover(channel, _dump, dumped, netns, warnings);
        ListenerQueues queues = iterated?.Queues ?? ListenerQueueDump.Read(channel, _dump, records, warnings);
        if (iterated is { Queues.Partial.Count: > 0 and int partial })
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingPartial, $"{partial} listener(s) have more pending connections than the BPF iterator walks (4,096); "
                + "their pending counts are exact, their lists of pending clients are partial") { Count = partial, NetNs = netns });
        }
        return new NamespaceDump(netns, records, queues, new NamespaceCount(netns, records.Count, inUseBefore, inUseAfter), warnings);
    }

    /// <summary>One read of the namespace's unix iterator.</summary>
    /// <exception cref="DiagUnavailableException">It could not be read or parsed (the namespace then counts as not dumped).</exception>
    private UnixIteratorRead ReadIterator(SafeFd iterator)
    {
        try
        {
            var parser = new BpfSnapshotRecords.UnixParser();
            IteratorFile.Read(iterator, _iterator, parser);
            return parser.Finish();
        }
        catch (IOException e)
        {
            throw new DiagUnavailableException(e.Message, Errno.EIO);
        }
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
