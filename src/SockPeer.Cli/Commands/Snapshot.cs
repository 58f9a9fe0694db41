using System.CommandLine;
using SockPeer.Inventory;

namespace SockPeer.Cli.Commands;

/// <summary>Takes the snapshot every command works on, covering the namespaces --netns asks for.</summary>
internal static class Snapshot
{
    public static readonly Option<string> NetNs = new("--netns", "-n")
    {
        Description = "Network namespaces to cover: all (default; needs root to enter the others), current, a namespace inode, or a path like /run/netns/NAME",
        Recursive = true,
        DefaultValueFactory = _ => "all",
    };

    public static readonly Option<string> Collector = new("--collector")
    {
        Description = "How holders are found: bpf (one BPF pass over every process's descriptors; root), procfs (the /proc walk), or auto (default: bpf where it loads and pays); $SOCKPEER_COLLECTOR sets the default",
        Recursive = true,
        HelpName = "auto|bpf|procfs",
    };

    /// <summary>
    /// The reader's options from --netns and --collector; <paramref name="manySnapshots"/>: the reader is
    /// kept for many snapshots (watch), so the bpf collector's load is paid once.
    /// </summary>
    public static InventoryOptions ReaderOptions(ParseResult parse, bool manySnapshots)
    {
        string scope = parse.GetValue(NetNs) ?? "all";
        var options = scope switch
        {
            "all" => new InventoryOptions { NetNs = NetNsScope.All },
            "current" => new InventoryOptions { NetNs = NetNsScope.Current },
            _ when scope.Length > 0 && (char.IsAsciiDigit(scope[0]) || scope[0] == '/') => new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = scope },
            _ => throw new CliException($"--netns takes all, current, a namespace inode or a path, not '{scope}'", ReturnCode.Usage),
        };
        try
        {
            string? collector = parse.GetValue(Collector);
            return options with { Iterators = SockPeer.Ebpf.CollectorSelection.Open(collector, manySnapshots), IteratorsRequired = SockPeer.Ebpf.CollectorSelection.IsRequired(collector) };
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message, ReturnCode.Usage);
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message);
        }
    }

    public static SocketInventory Take(ParseResult parse) => Take(parse, processDetails: true, out _);

    /// <summary>
    /// Answers a query about a few sockets: the snapshot skips process details, then reads those of
    /// the processes the answer shows (<paramref name="pids"/>), and the query runs again on them.
    /// </summary>
    public static (SocketInventory Inventory, TReport Report) Query<TReport>(ParseResult parse, Func<SocketInventory, TReport> query, Func<TReport, IReadOnlyList<int>> pids)
    {
        var bare = Take(parse, processDetails: false, out var reader);
        var inventory = reader.WithProcesses(bare, pids(query(bare)));
        return (inventory, query(inventory));
    }

    /// <summary>As above; without <paramref name="processDetails"/> the caller reads the processes it shows through <paramref name="reader"/>.</summary>
    public static SocketInventory Take(ParseResult parse, bool processDetails, out SocketInventoryReader reader)
        => Take(parse, processDetails, out reader, SockPeer.Endpoints.EndpointKinds.None);

    /// <summary>As above, with the endpoint kinds besides Unix sockets that <paramref name="endpoints"/> asks for.</summary>
    public static SocketInventory Take(ParseResult parse, bool processDetails, out SocketInventoryReader reader, SockPeer.Endpoints.EndpointKinds endpoints)
    {
        var options = ReaderOptions(parse, manySnapshots: false);
        if (int.TryParse(Environment.GetEnvironmentVariable("SOCKPEER_THREADS"), out int threads) && threads > 0)
        {
            options = options with { Parallelism = threads };
        }
        // One snapshot, then its answer: the peak RSS is the command's, so the reader compacts before the
        // model is made, and the raw records go before the renderers allocate (issue 24, population A,
        // 40,000 sockets: peak 40-46 MiB to 29-30, ~20-35 ms; bench/RESULTS.md).
        reader = new SocketInventoryReader(options with { ReadProcessDetails = processDetails, Endpoints = endpoints, CompactBeforeProjection = true });
        var inventory = reader.Read();
        if (inventory.Sockets.Count >= InventoryOptions.CompactionThreshold)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        if (Environment.GetEnvironmentVariable("SOCKPEER_STATS") == "1")
        {
            var t = inventory.Timings;
            Output.Error($"sockpeer: stats: {inventory.Collector.ToString().ToLowerInvariant()} collector, dump {t.Dump.TotalMilliseconds:F1} ms, scan {t.Scan.TotalMilliseconds:F1} ms, join {t.Join.TotalMilliseconds:F1} ms, "
                + $"{inventory.Sockets.Count} sockets, allocated {GC.GetTotalAllocatedBytes() >> 20} MiB, heap {GC.GetTotalMemory(false) >> 20} MiB, gen0 GCs {GC.CollectionCount(0)}");
            Output.Error("sockpeer: stats: passes " + string.Join(", ", t.Passes.Select(p => $"{p.Name} {p.Elapsed.TotalMilliseconds:F1} ms {p.Allocated >> 10} KiB")));
        }
        return inventory;
    }
}
