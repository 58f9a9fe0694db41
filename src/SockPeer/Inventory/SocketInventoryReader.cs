using System.Text;
using SockPeer.Interop;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>
/// Takes snapshots of every AF_UNIX socket in the caller's network namespace, with peers, listeners,
/// pending clients, file status, in-flight sockets and holders. An instance keeps only reusable
/// buffers, so a watcher or exporter can call <see cref="Read"/> again and again.
/// </summary>
public sealed partial class SocketInventoryReader
{
    private const UnixDiagShow MainShow = UnixDiagShow.Name | UnixDiagShow.Vfs | UnixDiagShow.Peer | UnixDiagShow.RqLen | UnixDiagShow.Uid;
    private const UnixDiagShow ListenerShow = UnixDiagShow.Icons | UnixDiagShow.RqLen;
    private const int MaxPeerLookups = 32;

    private readonly InventoryOptions _options;
    private readonly IDiagChannelFactory _channels;
    private readonly DiagDump _dump = new();
    private readonly object _gate = new();
    private bool _processesHidden;

    /// <summary>Creates a reader; null options read this machine.</summary>
    public SocketInventoryReader(InventoryOptions? options = null)
    {
        _options = options ?? new InventoryOptions();
        _channels = _options.Channels ?? new KernelDiagChannelFactory();
    }

    /// <summary>Takes one snapshot.</summary>
    public SocketInventory Read()
    {
        lock (_gate)
        {
            return ReadLocked();
        }
    }

    private SocketInventory ReadLocked()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var warnings = new List<InventoryWarning>();
        var records = new List<UnixDiagRecord>();
        var recordNs = new List<ulong?>();
        var icons = new Dictionary<uint, uint[]>();
        var partialPending = new HashSet<uint>();
        var counts = new List<NamespaceCount>();
        bool peersKnown = true;

        ulong? currentNs = ReadNetNs(_options.ProcRoot + "/thread-self/ns/net");
        List<NetNsHandle> others = SelectNamespaces(currentNs, out bool includeCurrent, out int unreadable, warnings);
        // The fd walk needs nothing from the dumps: run it on the other cores meanwhile and keep
        // only the links to AF_UNIX sockets once the dumps say which inodes those are.
        var scanner = new ProcScanner(_options.ProcRoot, _options.Parallelism);
        Task<FdScan>? fdScan = _options.ResolveHolders
            ? Task.Factory.StartNew(scanner.ScanFds, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : null;
        try
        {
            if (includeCurrent)
            {
                try
                {
                    using IDiagChannel channel = _channels.Open();
                    DumpNamespace(channel, currentNs, _options.ProcRoot + "/thread-self/net/protocols", records, recordNs, icons, partialPending, counts, warnings);
                }
                catch (DiagUnavailableException e)
                {
                    peersKnown = false;
                    foreach (var r in ReadProcNetUnix(warnings, e.Message))
                    {
                        records.Add(r);
                        recordNs.Add(currentNs);
                    }
                }
            }
            int denied = 0;
            Errno deniedWhy = Errno.None;
            foreach (var ns in others)
            {
                try
                {
                    using IDiagChannel channel = ns.OpenChannel();
                    string protocols = ns.SamplePid > 0 ? $"{_options.ProcRoot}/{ns.SamplePid}/net/protocols" : "";
                    DumpNamespace(channel, ns.Inode, protocols, records, recordNs, icons, partialPending, counts, warnings);
                }
                catch (DiagUnavailableException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
                {
                    denied++;
                    deniedWhy = e.Errno;
                }
                catch (Exception e) when (e is DiagUnavailableException or IOException)
                {
                    warnings.Add(new InventoryWarning(WarningCode.NamespaceNotDumped, $"network namespace {ns.Inode} ({ns.Source}) could not be dumped: {e.Message}") { NetNs = ns.Inode, Count = 1 });
                }
            }
            if (denied > 0)
            {
                warnings.Add(new InventoryWarning(WarningCode.NamespacesNotEntered, $"{denied} other network namespace(s) could not be entered ({ErrnoText.Describe(deniedWhy)}; needs CAP_SYS_ADMIN)"
                    + (unreadable > 0 ? $", nor could those of {unreadable} processes be read" : "")
                    + ": their sockets are missing, and peers that live there show as not seen") { Count = denied });
            }
            else if (unreadable > 0 && !CanEnterNamespaces())
            {
                warnings.Add(new InventoryWarning(WarningCode.NamespacesNotFound, $"other network namespaces could not be found or entered: those of {unreadable} processes could not be read (needs root): "
                    + "sockets in any other namespace are missing, and peers that live there show as not seen") { Count = unreadable });
            }
            if (fdScan is not null && peersKnown && _options.NetNs == NetNsScope.All && WalkedFds(fdScan) is { } fds)
            {
                DumpHeldNamespaces(fds, currentNs, others, records, recordNs, icons, partialPending, counts, warnings);
            }
        }
        finally
        {
            foreach (var ns in others)
            {
                ns.Dispose();
            }
        }

        long dumped = System.Diagnostics.Stopwatch.GetTimestamp();
        var index = new Dictionary<uint, int>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            index[records[i].Inode] = i;
        }
        CrossCheckCounts(counts, records, recordNs, index, icons, warnings);

        ProcScanResult? scan = null;
        if (_options.ResolveHolders)
        {
            var users = ReadUsers();
            try
            {
                scan = scanner.Resolve(fdScan!.GetAwaiter().GetResult(), index, records.Count, users, _options.ReadProcessDetails);
            }
            catch (IOException e)
            {
                warnings.Add(new InventoryWarning(WarningCode.HoldersUnknown, $"holders are unknown: {e.Message}"));
            }
            if (scan is { ProcessesDenied: > 0 } && records.Count > 0)
            {
                // Root can be denied too: a process with capabilities this one lacks, or one guarded by an LSM.
                warnings.Add(new InventoryWarning(WarningCode.ProcessesDenied, $"{scan.ProcessesDenied} of {scan.ProcessesDenied + scan.ProcessesScanned} processes could not be inspected "
                    + (Environment.IsPrivilegedProcess
                        ? "(permission denied even to root); sockets they hold are listed without those holders"
                        : "(permission denied); sockets they hold are listed without those holders; run as root to see them")) { Count = scan.ProcessesDenied });
            }
            string? hidepid = Environment.IsPrivilegedProcess ? null : ReadHidePid();
            _processesHidden = hidepid is not null;
            if (hidepid is not null)
            {
                warnings.Add(new InventoryWarning(WarningCode.ProcessesHidden, $"procfs is mounted with hidepid={hidepid}: processes of other users are invisible, their sockets show no holders"));
            }
        }

        long scanned = System.Diagnostics.Stopwatch.GetTimestamp();
        var sockets = Join(records, recordNs, index, icons, partialPending, scan, peersKnown, warnings);
        var processes = scan is null ? [] : NameContainers(scan.Processes.Values.OrderBy(p => p.Pid));
        long joined = System.Diagnostics.Stopwatch.GetTimestamp();
        return new SocketInventory(sockets, processes, warnings, peersKnown)
        {
            ProcessesNotInspected = scan?.ProcessesDenied ?? 0,
            Timings = new SnapshotTimings(
                System.Diagnostics.Stopwatch.GetElapsedTime(started, dumped),
                System.Diagnostics.Stopwatch.GetElapsedTime(dumped, scanned),
                System.Diagnostics.Stopwatch.GetElapsedTime(scanned, joined)),
        };
    }

    /// <summary>The fd walk's links, or null when it failed (the join says so as "holders are unknown").</summary>
    private static FdScan? WalkedFds(Task<FdScan> walk)
    {
        try
        {
            return walk.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Which namespaces besides (or instead of) the caller's own to dump.</summary>
    private List<NetNsHandle> SelectNamespaces(ulong? currentNs, out bool includeCurrent, out int unreadable, List<InventoryWarning> warnings)
    {
        includeCurrent = true;
        unreadable = 0;
        switch (_options.NetNs)
        {
            case NetNsScope.All:
            {
                var all = NetNsDiscovery.Discover(_options.ProcRoot, "/run/netns", out unreadable);
                var others = new List<NetNsHandle>();
                foreach (var ns in all)
                {
                    if (ns.Inode == currentNs)
                    {
                        ns.Dispose();
                    }
                    else
                    {
                        others.Add(ns);
                    }
                }
                return others;
            }
            case NetNsScope.One:
            {
                string target = _options.NetNsTarget ?? "current";
                if (target == "current" || (ulong.TryParse(target, out ulong wanted) && wanted == currentNs))
                {
                    return [];
                }
                includeCurrent = false;
                if (ulong.TryParse(target, out wanted))
                {
                    NetNsHandle? match = null;
                    var discovered = NetNsDiscovery.Discover(_options.ProcRoot);
                    foreach (var ns in discovered)
                    {
                        if (ns.Inode == wanted && match is null)
                        {
                            match = ns;
                        }
                    }
                    // No process in it, no mount of it: an fd or a socket may still hold it.
                    match ??= FindHeldNamespace(wanted, discovered);
                    foreach (var ns in discovered)
                    {
                        if (ns != match)
                        {
                            ns.Dispose();
                        }
                    }
                    return match is null ? throw new InventoryException($"no network namespace with inode {wanted} is in use") : [match];
                }
                var handle = NetNsHandle.Open(target, 0) ?? throw new InventoryException($"{target}: not a network namespace that can be opened");
                if (handle.Inode == currentNs)
                {
                    handle.Dispose();
                    includeCurrent = true;
                    return [];
                }
                return [handle];
            }
            default:
                _ = warnings;
                return [];
        }
    }

    /// <summary>
    /// The same snapshot with the details of <paramref name="pids"/> read now, for a snapshot taken
    /// without <see cref="InventoryOptions.ReadProcessDetails"/>: a query that shows a few sockets reads
    /// a few processes rather than every holder on the host.
    /// </summary>
    public SocketInventory WithProcesses(SocketInventory inventory, IEnumerable<int> pids)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var wanted = new HashSet<int>();
        foreach (int pid in pids)
        {
            if (inventory.FindProcess(pid) is null)
            {
                wanted.Add(pid);
            }
        }
        if (wanted.Count == 0)
        {
            return inventory;
        }
        Dictionary<int, ProcessInfo> read;
        try
        {
            read = new ProcScanner(_options.ProcRoot, _options.Parallelism).ReadProcesses(wanted, ReadUsers());
        }
        catch (IOException e)
        {
            return inventory.With(inventory.Processes, [.. inventory.WarningDetails, new InventoryWarning(WarningCode.ProcessDetailsUnknown, $"process details are unknown: {e.Message}")]);
        }
        var all = new List<ProcessInfo>(inventory.Processes.Count + read.Count);
        all.AddRange(inventory.Processes);
        all.AddRange(NameContainers(read.Values));
        all.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        return inventory.With(all, inventory.WarningDetails);
    }

    private void DumpNamespace(IDiagChannel channel, ulong? netns, string protocolsPath, List<UnixDiagRecord> records, List<ulong?> recordNs,
        Dictionary<uint, uint[]> icons, HashSet<uint> partialPending, List<NamespaceCount> counts, List<InventoryWarning> warnings)
    {
        long inUseBefore = ReadUnixInUse(protocolsPath);
        DiagDumpResult main = _dump.Dump(channel, UnixDiagState.All, MainShow);
        long inUseAfter = ReadUnixInUse(protocolsPath);
        warnings.AddRange(main.WarningDetails);
        try
        {
            LookUpAbsentPeers(channel, main.Records, warnings);
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException)
        {
            // The dump itself worked: this is no reason to fall back to /proc/net/unix.
            warnings.Add(new InventoryWarning(WarningCode.PeersNotLookedUp, $"peers absent from the dump could not be looked up ({e.Message}); some may be missing") { NetNs = netns });
        }
        ReadPending(channel, main.Records, icons, partialPending, warnings);
        counts.Add(new NamespaceCount(netns, main.Records.Count, inUseBefore, inUseAfter));
        foreach (var r in main.Records)
        {
            records.Add(r);
            recordNs.Add(netns);
        }
    }

    /// <summary>
    /// unix_diag walks each hash bucket by position between replies, so a socket that closes in a
    /// bucket already begun makes the dump skip a live one after it, with no error. A stream or
    /// seqpacket peer lives in the same namespace (the server half is made in the client's), so one
    /// named in the dump but absent from it was skipped or has closed since: asked for by inode, the
    /// first answers and is added. Datagram peers may live in other namespaces and are not asked for.
    /// </summary>
    private void LookUpAbsentPeers(IDiagChannel channel, List<UnixDiagRecord> records, List<InventoryWarning> warnings)
    {
        var present = new HashSet<uint>(records.Count);
        foreach (var r in records)
        {
            present.Add(r.Inode);
        }
        List<uint> absent = AbsentPeers(records, present);
        if (absent.Count == 0)
        {
            return;
        }
        if (absent.Count > MaxPeerLookups)
        {
            // Heavy churn. Each lookup walks the whole table in the kernel; a second dump costs about
            // as much as a few dozen of them and brings back what the first one skipped.
            DiagDumpResult again = _dump.Dump(channel, UnixDiagState.All, MainShow);
            warnings.AddRange(again.WarningDetails);
            foreach (var r in again.Records)
            {
                if (present.Add(r.Inode))
                {
                    records.Add(r);
                }
            }
            absent = AbsentPeers(records, present);
        }
        int asked = 0;
        foreach (uint inode in absent)
        {
            if (asked == MaxPeerLookups)
            {
                warnings.Add(new InventoryWarning(WarningCode.PeersNotLookedUp, $"{absent.Count - asked} stream peer(s) named in the dump were absent from it and not looked up: "
                    + "closed while it ran, or skipped by it (a sock_diag dump is not a snapshot)") { Count = absent.Count - asked });
                break;
            }
            asked++;
            // Never UID in a single query: unpatched 5.3–6.0 kernels oops on it.
            if (_dump.QueryOne(channel, inode, ulong.MaxValue, MainShow & ~UnixDiagShow.Uid, out _) is { } one && one.Inode == inode)
            {
                records.Add(one);
            }
        }
    }

    /// <summary>Stream and seqpacket peers that <paramref name="records"/> name and are not <paramref name="present"/>, each once.</summary>
    private static List<uint> AbsentPeers(List<UnixDiagRecord> records, HashSet<uint> present)
    {
        var absent = new List<uint>();
        var named = new HashSet<uint>();
        foreach (var r in records)
        {
            if (r.HasPeer && r.Peer != 0 && r.Type != (byte)UnixSocketType.Dgram && !present.Contains(r.Peer) && named.Add(r.Peer))
            {
                absent.Add(r.Peer);
            }
        }
        return absent;
    }

    /// <summary>Docker keeps container names on disk; other runtimes' ids stay ids.</summary>
    private static ProcessInfo[] NameContainers(IEnumerable<ProcessInfo> processes)
    {
        var names = new Dictionary<string, string?>();
        var result = new List<ProcessInfo>();
        foreach (var p in processes)
        {
            if (p.Container is { Runtime: "docker", Id: { } id, Name: null } c)
            {
                if (!names.TryGetValue(id, out string? name))
                {
                    names[id] = name = DockerNames.Find(id);
                }
                result.Add(name is null ? p : p with { Container = c with { Name = name } });
            }
            else
            {
                result.Add(p);
            }
        }
        return [.. result];
    }

    /// <summary>
    /// Pending clients come from a second dump of listeners only: a listener with thousands of
    /// pending clients makes a record too large for one reply, and the kernel then ends the dump
    /// early without an error. Listeners the dump skipped are asked for one by one.
    /// </summary>
    private void ReadPending(IDiagChannel channel, List<UnixDiagRecord> records, Dictionary<uint, uint[]> icons, HashSet<uint> partial, List<InventoryWarning> warnings)
    {
        int listeners = 0;
        foreach (var r in records)
        {
            if (r.State == UnixDiagState.Listen)
            {
                listeners++;
            }
        }
        if (listeners == 0)
        {
            return;
        }
        DiagDumpResult dump;
        try
        {
            dump = _dump.Dump(channel, UnixDiagState.ListenOnly, ListenerShow);
            warnings.AddRange(dump.WarningDetails);
        }
        catch (DiagUnavailableException e)
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingUnknown, $"pending connections are unknown: {e.Message}"));
            return;
        }
        foreach (var r in dump.Records)
        {
            if (r.Icons is not null)
            {
                icons[r.Inode] = r.Icons;
            }
        }
        foreach (var r in records)
        {
            if (r.State != UnixDiagState.Listen || icons.ContainsKey(r.Inode))
            {
                continue;
            }
            UnixDiagRecord? one = _dump.QueryOne(channel, r.Inode, r.Cookie, ListenerShow, out Errno errno);
            if (one?.Icons is not null)
            {
                icons[r.Inode] = one.Icons;
            }
            else if (errno != Errno.ENOENT && errno != Errno.ESTALE && r.RQueue > 0)
            {
                partial.Add(r.Inode);
            }
        }
        if (partial.Count > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingPartial, $"{partial.Count} listener(s) have more pending connections than the kernel can list in one reply; "
                + "their pending counts are exact, their lists of pending clients are partial") { Count = partial.Count });
        }
    }

    /// <summary>One namespace's dump size and the kernel's count of sockets in use around it.</summary>
    private readonly record struct NamespaceCount(ulong? NetNs, int Records, long Before, long After);

    /// <summary>
    /// The kernel counts sockets in use per namespace (/proc/net/protocols, UNIX and UNIX-STREAM);
    /// pending server halves count there but have no inode and are not dumped. A pending server half
    /// is made in its client's namespace, which is not the listener's when a client from another
    /// namespace connects to a path: count it where its client was dumped. A pending client that closed
    /// (a 0 in the listener's list) is not dumped either, yet still counted: its server half holds it.
    /// </summary>
    private static void CrossCheckCounts(List<NamespaceCount> counts, List<UnixDiagRecord> records, List<ulong?> recordNs,
        Dictionary<uint, int> index, Dictionary<uint, uint[]> icons, List<InventoryWarning> warnings)
    {
        var embryos = new Dictionary<ulong, long>();
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.State != UnixDiagState.Listen)
            {
                // Also counted but not dumped: a socket closed while a survivor still points at it (a
                // stream peer that closed, a datagram server that went away); the survivor reports peer 0.
                if (r.HasPeer && r.Peer == 0 && (r.Shutdown != 0 || r.Type == (byte)UnixSocketType.Dgram))
                {
                    ulong own = recordNs[i] ?? 0;
                    embryos[own] = embryos.GetValueOrDefault(own) + 1;
                }
                continue;
            }
            long left = r.RQueue;
            long closed = 0;
            if (icons.TryGetValue(r.Inode, out uint[]? waiting))
            {
                foreach (uint c in waiting)
                {
                    if (left > 0 && c != 0 && index.TryGetValue(c, out int ci))
                    {
                        ulong clientNs = recordNs[ci] ?? 0;
                        embryos[clientNs] = embryos.GetValueOrDefault(clientNs) + 1;
                        left--;
                    }
                    else if (c == 0)
                    {
                        closed++;
                    }
                }
            }
            ulong ns = recordNs[i] ?? 0;
            embryos[ns] = embryos.GetValueOrDefault(ns) + left + closed;
        }
        foreach (var c in counts)
        {
            // With several namespaces dumped, say which one a shortfall is in.
            CrossCheckCount(c.Records, c.Before, c.After, embryos.GetValueOrDefault(c.NetNs ?? 0), counts.Count > 1 ? c.NetNs : null, warnings);
        }
    }

    private static void CrossCheckCount(int records, long before, long after, long embryos, ulong? netns, List<InventoryWarning> warnings)
    {
        if (before < 0 || after < 0)
        {
            return;
        }
        long expected = Math.Min(before, after) - embryos;
        // Sockets opened and closed while the dump runs move the count both ways; truncation, the
        // failure this is here to catch, loses a whole tail of the table, far more than this margin.
        long margin = Math.Abs(after - before) + Math.Max(16, records / 100);
        long missing = expected - records;
        if (missing > margin)
        {
            warnings.Add(new InventoryWarning(WarningCode.CountMismatch, $"sock_diag returned {records} sockets but the kernel counts about {expected} in use; "
                + $"up to {missing} may be missing from this snapshot" + (netns is null ? "" : $" (network namespace {netns})")) { NetNs = netns, Count = (int)Math.Min(missing, int.MaxValue) });
        }
    }

    /// <summary>Whether this thread has CAP_SYS_ADMIN (bit 21 of CapEff), the right to enter other network namespaces.</summary>
    private bool CanEnterNamespaces()
    {
        byte[] buffer = new byte[4096];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(_options.ProcRoot + "/thread-self/status"), ref buffer);
        foreach (var line in new LineEnumerator(buffer.AsSpan(0, Math.Max(n, 0))))
        {
            if (line.StartsWith("CapEff:"u8))
            {
                return ulong.TryParse(Encoding.ASCII.GetString(line[7..]).Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong caps)
                    && (caps & (1UL << 21)) != 0;
            }
        }
        return false;
    }

    private static long ReadUnixInUse(string path)
    {
        if (path.Length == 0)
        {
            return -1;
        }
        byte[] buffer = new byte[8192];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(path), ref buffer);
        if (n <= 0)
        {
            return -1;
        }
        long total = 0;
        bool found = false;
        foreach (var line in new LineEnumerator(buffer.AsSpan(0, n)))
        {
            if (!line.StartsWith("UNIX"u8))
            {
                continue;
            }
            // protocol size sockets ...
            var fields = Encoding.ASCII.GetString(line).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 2 && (fields[0] == "UNIX" || fields[0] == "UNIX-STREAM") && long.TryParse(fields[2], out long v) && v >= 0)
            {
                total += v;
                found = true;
            }
        }
        return found ? total : -1;
    }

    /// <summary>The hidepid= option of the procfs mounted at ProcRoot, from our own mountinfo; null when processes are not hidden or it cannot be told.</summary>
    private string? ReadHidePid()
    {
        byte[] buffer = new byte[64 * 1024];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(_options.ProcRoot + "/self/mountinfo"), ref buffer);
        if (n <= 0)
        {
            n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero("/proc/self/mountinfo"), ref buffer);
        }
        if (n <= 0)
        {
            return null;
        }
        string root = Path.GetFullPath(_options.ProcRoot);
        root = root.Length > 1 ? root.TrimEnd('/') : root;
        return ProcMountInfo.FindMount(buffer.AsSpan(0, n), root) is { FsType: "proc" } mount ? ProcMountInfo.HidePid(mount.SuperOptions) : null;
    }

    private List<UnixDiagRecord> ReadProcNetUnix(List<InventoryWarning> warnings, string why)
    {
        byte[] buffer = new byte[64 * 1024];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(_options.ProcRoot + "/thread-self/net/unix"), ref buffer, limit: 1 << 30);
        if (n < 0)
        {
            throw new InventoryException($"sock_diag is unavailable ({why}) and /proc/net/unix cannot be read: {ErrnoText.Describe((Errno)(-n))}");
        }
        var entries = ProcNetUnix.Parse(buffer.AsSpan(0, n), out int malformed);
        warnings.Add(new InventoryWarning(WarningCode.ProcNetUnixFallback, $"sock_diag is unavailable ({why}); sockets come from /proc/net/unix: peers are unknown, and names with newlines or NULs may be garbled"));
        if (malformed > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.ProcNetUnixMalformed, $"{malformed} lines of /proc/net/unix could not be parsed (a name with a newline breaks a row)") { Count = malformed });
        }
        var records = new List<UnixDiagRecord>(entries.Count);
        var seen = new HashSet<uint>();
        foreach (var e in entries)
        {
            if (!seen.Add(e.Inode))
            {
                continue;
            }
            byte state = e.Listening ? UnixDiagState.Listen : e.SocketState == 3 ? UnixDiagState.Established : UnixDiagState.Close;
            records.Add(new UnixDiagRecord { Type = (byte)e.Type, State = state, Inode = e.Inode, Name = e.Path });
        }
        return records;
    }

    private Dictionary<uint, string>? ReadUsers()
    {
        try
        {
            return ProcParsers.ParsePasswd(File.ReadAllBytes(_options.PasswdPath));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static ulong? ReadNetNs(string link)
    {
        Span<byte> buffer = stackalloc byte[64];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero(link), buffer);
        return n > 0 && ProcParsers.TryParseNetNsLink(buffer[..n], out ulong ns) ? ns : null;
    }

    private List<UnixSocket> Join(List<UnixDiagRecord> records, List<ulong?> recordNs, Dictionary<uint, int> index, Dictionary<uint, uint[]> icons,
        HashSet<uint> partialPending, ProcScanResult? scan, bool peersKnown, List<InventoryWarning> warnings)
    {
        int count = records.Count;
        if (peersKnown)
        {
            CompleteTornPeers(records, index);
        }
        // Listeners by file identity (pathname) and by name (abstract: one namespace per dump).
        var listenerByFile = new Dictionary<(uint, uint), uint>();
        var listenerByName = new Dictionary<(ulong?, string), uint>();
        var pendingOn = new Dictionary<uint, uint>();
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.State != UnixDiagState.Listen)
            {
                continue;
            }
            if (r.HasVfs)
            {
                listenerByFile[(r.VfsDevice, r.VfsInode)] = r.Inode;
            }
            else if (r.Name is { Length: > 0 } n && n[0] == 0)
            {
                listenerByName[(recordNs[i], Convert.ToBase64String(n))] = r.Inode;
            }
            if (icons.TryGetValue(r.Inode, out uint[]? waiting))
            {
                foreach (uint c in waiting)
                {
                    if (c != 0)
                    {
                        pendingOn[c] = r.Inode;
                    }
                }
            }
        }

        // Reverse peers: who names each socket as its peer.
        var clients = new Dictionary<uint, List<uint>>();
        foreach (var r in records)
        {
            if (!r.HasPeer || r.Peer == 0 || !index.TryGetValue(r.Peer, out int pi))
            {
                continue;
            }
            var p = records[pi];
            if (!(p.HasPeer && p.Peer == r.Inode))
            {
                if (!clients.TryGetValue(r.Peer, out var list))
                {
                    clients[r.Peer] = list = [];
                }
                list.Add(r.Inode);
            }
        }

        var files = new FileChecker(_options.ProcRoot, _options.CheckFiles);
        var sockets = new UnixSocket[count];
        var order = new int[count];
        var inodes = new uint[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
            inodes[i] = records[i].Inode;
        }
        Array.Sort(inodes, order); // by inode, with primitive keys rather than a comparison delegate

        for (int k = 0; k < count; k++)
        {
            var r = records[order[k]];
            ulong? netns = recordNs[order[k]];
            IReadOnlyList<SocketHolder> own = scan is null ? [] : scan.HoldersOf(order[k]);

            bool listening = r.State == UnixDiagState.Listen;
            bool isPendingClient = pendingOn.TryGetValue(r.Inode, out uint waitingOn);
            // A client whose server half has no inode yet (not accepted) reports peer 0 like one whose
            // peer closed; only the latter has been shut down by the kernel.
            bool awaitingAccept = isPendingClient || (peersKnown && r.HasPeer && r.Peer == 0 && (r.Shutdown & 3) != 3
                && r.State == UnixDiagState.Established && r.Type != (byte)UnixSocketType.Dgram);
            uint? peer = null;
            if (peersKnown && r.HasPeer && !awaitingAccept)
            {
                peer = r.Peer;
            }
            uint? listener = null;
            if (!listening && r.Type != (byte)UnixSocketType.Dgram && r.Name is { Length: > 0 } name)
            {
                if (r.HasVfs && listenerByFile.TryGetValue((r.VfsDevice, r.VfsInode), out uint l))
                {
                    listener = l;
                }
                else if (!r.HasVfs && name[0] == 0 && listenerByName.TryGetValue((netns, Convert.ToBase64String(name)), out uint la))
                {
                    listener = la;
                }
            }
            bool pair = false;
            if (peer is uint pp && pp != 0 && r.Name is null && index.TryGetValue(pp, out int pIndex))
            {
                var p = records[pIndex];
                pair = p.Name is null && p.HasPeer && p.Peer == r.Inode;
            }
            SocketFile? file = null;
            if (r.HasVfs)
            {
                var status = files.Check(r.Name, r.VfsDevice, r.VfsInode, own);
                file = new SocketFile(r.VfsDevice >> 20, r.VfsDevice & 0xFFFFF, r.VfsInode, status);
            }
            uint[] pending = [];
            if (listening && icons.TryGetValue(r.Inode, out uint[]? ic))
            {
                pending = Array.FindAll(ic, x => x != 0);
            }
            sockets[k] = new UnixSocket
            {
                Inode = r.Inode,
                Cookie = r.Cookie,
                NetNs = netns,
                Type = r.Type switch { 1 => UnixSocketType.Stream, 2 => UnixSocketType.Dgram, 5 => UnixSocketType.SeqPacket, _ => UnixSocketType.Unknown },
                State = r.State switch { UnixDiagState.Listen => UnixSocketState.Listening, UnixDiagState.Established => UnixSocketState.Connected, _ => UnixSocketState.Unconnected },
                NameBytes = r.Name is { Length: > 0 } ? r.Name : null,
                File = file,
                Peer = peer,
                Listener = listener,
                PendingOn = isPendingClient ? waitingOn : null,
                AwaitingAccept = awaitingAccept,
                Pending = pending,
                PendingCount = listening && r.HasRqLen ? r.RQueue : null,
                PendingPartial = partialPending.Contains(r.Inode) || (listening && r.HasRqLen && pending.Length < r.RQueue && !icons.ContainsKey(r.Inode)),
                Backlog = listening && r.HasRqLen ? r.WQueue : null,
                Clients = clients.TryGetValue(r.Inode, out var cl) ? cl.ToArray() : [],
                IsSocketPair = pair,
                // For a listener the kernel's RQLEN is (pending, backlog): schema 1 documents them so, as ss -xl shows them.
                RecvQueue = r.RQueue,
                SendQueue = r.WQueue,
                Shutdown = (r.Shutdown & 3) switch { 1 => ShutdownState.Read, 2 => ShutdownState.Write, 3 => ShutdownState.Both, _ => ShutdownState.None },
                Uid = r.HasUid ? r.Uid : null,
                Holders = own,
            };
        }

        if (scan is not null && peersKnown)
        {
            MarkInFlight(sockets, scan, warnings);
        }
        return [.. sockets];
    }

    /// <summary>
    /// A dump is not a snapshot: one end of a connection can be read before it was connected (or, for
    /// a client waiting to be accepted, before its server half had an inode) and the other end after.
    /// unix_socketpair() even sets the two peers, then the two states, with no lock sock_diag takes.
    /// A stream or seqpacket peer is set for both ends at once and stays while both are in the table,
    /// so when one end names the other, the other's peer is the first: the view shows that, not the
    /// torn read. A datagram peer is one-way; only an unnamed one (which only socketpair() makes) is mended.
    /// </summary>
    private static void CompleteTornPeers(List<UnixDiagRecord> records, Dictionary<uint, int> index)
    {
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (!r.HasPeer || r.Peer == 0 || r.State == UnixDiagState.Listen || !index.TryGetValue(r.Peer, out int pi) || pi == i)
            {
                continue;
            }
            var p = records[pi];
            if (p.Type != r.Type || p.State == UnixDiagState.Listen || (p.HasPeer && p.Peer != r.Inode && p.Peer != 0))
            {
                continue;
            }
            bool stream = r.Type != (byte)UnixSocketType.Dgram;
            if (!stream && (r.Name is not null || p.Name is not null))
            {
                continue; // a datagram client of a named server
            }
            bool peerless = !p.HasPeer || (p.Peer == 0 && stream && (p.Shutdown & 3) != 3);
            if (peerless || (stream && p.State == UnixDiagState.Close))
            {
                records[pi] = Connected(p, r.Inode, stream);
            }
            if (stream && r.State == UnixDiagState.Close)
            {
                records[i] = Connected(r, r.Peer, stream);
            }
        }

        static UnixDiagRecord Connected(UnixDiagRecord r, uint peer, bool stream)
            => r with { HasPeer = true, Peer = peer, State = stream ? UnixDiagState.Established : r.State };
    }

    /// <summary>
    /// A socket no process holds, while every process could be inspected, is in flight or orphaned.
    /// The queue that holds it is one whose fdinfo shows scm_fds &gt; 0; the kernel does not say which
    /// descriptor waits where, so the answer is exact only when a single queue holds descriptors.
    /// </summary>
    private void MarkInFlight(UnixSocket[] sockets, ProcScanResult scan, List<InventoryWarning> warnings)
    {
        // Sockets held by processes we could not see look orphaned. Unprivileged, that is most of the
        // host; as root it is the odd guarded process, and the pairs-and-gone pruning below still runs.
        if (_processesHidden || (scan.ProcessesDenied > 0 && !Environment.IsPrivilegedProcess))
        {
            return;
        }
        var candidates = new List<int>();
        for (int i = 0; i < sockets.Length; i++)
        {
            if (IsOrphan(sockets[i]))
            {
                candidates.Add(i);
            }
        }
        if (candidates.Count == 0)
        {
            return;
        }
        var scanner = new ProcScanner(_options.ProcRoot);
        var receivers = new List<(int Index, int Count)>();
        long queued = 0;
        for (int i = 0; i < sockets.Length; i++)
        {
            var s = sockets[i];
            if (s.Holders.Count == 0 || s.State == UnixSocketState.Listening || (s.RecvQueue == 0 && s.Type != UnixSocketType.Dgram))
            {
                continue;
            }
            var holder = s.Holders[0];
            if (scanner.ReadScmFds(holder.Pid, holder.Fd) is int n && n > 0)
            {
                receivers.Add((i, n));
                queued += n;
            }
        }
        if (receivers.Count == 0)
        {
            return;
        }
        if (candidates.Count > queued)
        {
            // More orphans than queued descriptors: leave out pairs whose both ends nobody holds
            // (kernel-held or leaked long ago), which cannot both be what was just sent.
            candidates.RemoveAll(i => sockets[i].Peer is uint p and not 0 && Find(sockets, p) is { } peer && IsOrphan(peer));
        }
        if (candidates.Count > queued)
        {
            // A socket whose last holder exited during the scan is gone by now; one in flight lives on.
            RemoveGone(sockets, candidates);
        }
        if (candidates.Count > queued)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightAmbiguous, $"{candidates.Count} socket(s) are held by no process while {queued} descriptor(s) wait in flight on {receivers.Count} queue(s); "
                + "which of those sockets are in flight cannot be told") { Count = candidates.Count });
            return;
        }
        uint? on = receivers.Count == 1 ? sockets[receivers[0].Index].Inode : null;
        foreach (int i in candidates)
        {
            sockets[i] = sockets[i] with { InFlight = true, InFlightOn = on };
        }
        if (on is null)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightQueueUnknown, $"{candidates.Count} socket(s) held by no process are in flight on one of {receivers.Count} queues; the kernel does not tell which one") { Count = candidates.Count });
        }
        if (scan.ProcessesDenied > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightUnverified, $"{candidates.Count} socket(s) held by no visible process are taken to be in flight; "
                + $"the {scan.ProcessesDenied} process(es) that could not be inspected may hold some of them instead") { Count = candidates.Count });
        }

        static bool IsOrphan(UnixSocket s) => s.Holders.Count == 0 && s.PendingOn is null && !s.AwaitingAccept;
    }

    /// <summary>Drops the candidates in this namespace that sock_diag no longer knows: one channel, one namespace read.</summary>
    private void RemoveGone(UnixSocket[] sockets, List<int> candidates)
    {
        ulong? here = ReadNetNs(_options.ProcRoot + "/thread-self/ns/net");
        var gone = new HashSet<int>();
        try
        {
            using IDiagChannel channel = _channels.Open();
            foreach (int i in candidates)
            {
                if (sockets[i].NetNs == here
                    && _dump.QueryOne(channel, sockets[i].Inode, sockets[i].Cookie, UnixDiagShow.None, out Errno errno) is null
                    && errno is Errno.ENOENT or Errno.ESTALE)
                {
                    gone.Add(i);
                }
            }
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException or InvalidOperationException or NetlinkFormatException)
        {
            // Cannot ask any further: the rest count as alive.
        }
        candidates.RemoveAll(gone.Contains);
    }

    private static UnixSocket? Find(UnixSocket[] byInode, uint inode)
    {
        int lo = 0, hi = byInode.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint v = byInode[mid].Inode;
            if (v == inode)
            {
                return byInode[mid];
            }
            if (v < inode)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return null;
    }

    /// <summary>Compares a socket's path with its file identity, resolving it inside a holder's root.</summary>
    private sealed class FileChecker(string procRoot, bool enabled)
    {
        // Keyed by the exact name bytes (Latin-1 maps each byte to its own char) and the file identity:
        // sockets bound to the same path at different times have different files and different answers.
        private readonly Dictionary<(int, string, uint, uint), SocketFileStatus> _cache = [];

        public SocketFileStatus Check(byte[]? name, uint device, uint inode, IReadOnlyList<SocketHolder> holders)
        {
            if (!enabled || name is not { Length: > 0 } || name[0] == 0)
            {
                return SocketFileStatus.Unknown;
            }
            int pid = holders.Count > 0 ? holders[0].Pid : 0;
            var key = (pid, Encoding.Latin1.GetString(name), device, inode);
            if (_cache.TryGetValue(key, out var cached))
            {
                return cached;
            }
            SocketFileStatus status = Resolve(name, device, inode, pid);
            _cache[key] = status;
            return status;
        }

        private SocketFileStatus Resolve(byte[] name, uint device, uint inode, int pid)
        {
            bool relative = name[0] != (byte)'/';
            Errno errno = Errno.EACCES;
            uint major = 0, minor = 0;
            ulong ino = 0;
            if (pid > 0)
            {
                // The holder's own view: its root for absolute paths, its cwd for relative ones.
                byte[] prefix = Encoding.ASCII.GetBytes($"{procRoot}/{pid}/{(relative ? "cwd/" : "root")}");
                byte[] full = new byte[prefix.Length + name.Length + 1];
                prefix.CopyTo(full, 0);
                name.CopyTo(full, prefix.Length);
                errno = ProcFs.Stat(Libc.AT_FDCWD, full, follow: false, out major, out minor, out ino, out _, out _);
            }
            if (errno is Errno.EACCES or Errno.EPERM && !relative)
            {
                errno = ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(name), follow: false, out major, out minor, out ino, out _, out _);
            }
            if (errno == Errno.None)
            {
                bool same = ino == inode && major == device >> 20 && minor == (device & 0xFFFFF);
                // A relative path is resolved from the holder's cwd now, which may not be where it was bound.
                return same ? SocketFileStatus.Ok : relative ? SocketFileStatus.Unknown : SocketFileStatus.Replaced;
            }
            if ((errno is Errno.ENOENT or Errno.ENOTDIR) && !relative)
            {
                return SocketFileStatus.Deleted;
            }
            return SocketFileStatus.Unknown;
        }
    }
}

/// <summary>A snapshot could not be taken at all.</summary>
public sealed class InventoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InventoryException() { }

    /// <summary>Creates the exception.</summary>
    public InventoryException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public InventoryException(string message, Exception inner) : base(message, inner) { }
}
