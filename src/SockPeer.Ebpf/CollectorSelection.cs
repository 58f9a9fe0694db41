using SockPeer.Inventory;

namespace SockPeer.Ebpf;

/// <summary>
/// Which collector reads the kernel: <c>auto</c>, <c>bpf</c> or <c>procfs</c> (<c>--collector</c>, or
/// <see cref="EnvironmentVariable"/> when none is given). <c>auto</c> runs the bpf collector where it
/// loads and pays: always for a reader that takes many snapshots (the load is paid once), and for a
/// single snapshot when the host's processes hold at least <see cref="SingleSnapshotBreakEven"/>
/// descriptors, below which loading the program costs more than the /proc walk it saves. Where it
/// does not load, <c>auto</c> quietly takes procfs (the JSON says which ran) and <c>bpf</c> is an error.
/// </summary>
public static class CollectorSelection
{
    /// <summary>The library's default when the caller names no collector.</summary>
    public const string EnvironmentVariable = "SOCKPEER_COLLECTOR";

    /// <summary>The values --collector accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["auto", "bpf", "procfs"];

    /// <summary>
    /// Descriptors held by the host's processes from which one snapshot is faster with the bpf
    /// collector, program load included. The load (~60 ms) runs beside the sock_diag dumps: with
    /// 22,500 descriptors bpf took 173 ms against procfs's 186, with 9,300 116 against 88
    /// (bench/RESULTS.md, "Stop 26").
    /// </summary>
    public const int SingleSnapshotBreakEven = 20_000;

    /// <summary>
    /// The iterators to read through, or null for procfs. <paramref name="requested"/> null takes
    /// $SOCKPEER_COLLECTOR, else <c>auto</c>; <paramref name="manySnapshots"/>: the reader is kept.
    /// What can be checked at once is (privilege, BTF, libbpf). For one snapshot the program itself
    /// loads on another thread while the snapshot's dumps run, and a refusal there is the reader's to
    /// report: give it <see cref="IsRequired"/> as <see cref="InventoryOptions.IteratorsRequired"/>.
    /// A kept reader (<paramref name="manySnapshots"/>) pays the load once, so it is waited for here,
    /// and a refusal is known before the first snapshot, as an exception for <c>bpf</c> and procfs for <c>auto</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is none of <see cref="Names"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>bpf</c> was asked for and cannot run here (the message says why).</exception>
    public static SnapshotIterators? Open(string? requested, bool manySnapshots)
    {
        switch (NameOf(requested))
        {
            case "procfs":
                return null;
            case "bpf":
                return Loaded(SnapshotIterators.StartLoading(out string why), manySnapshots, ref why) ?? throw new InvalidOperationException($"the bpf collector cannot run here: {why}");
            case "auto":
                if (Interop.Privilege.Missing() is not null)
                {
                    return null; // not counting descriptors it could not use
                }
                string ignored = "";
                return manySnapshots || Interop.DescriptorCount.AtLeast(SingleSnapshotBreakEven) >= SingleSnapshotBreakEven ? Loaded(SnapshotIterators.StartLoading(out _), manySnapshots, ref ignored) : null;
            default:
                throw new ArgumentException($"--collector takes auto, bpf or procfs, not '{NameOf(requested)}'", nameof(requested));
        }
    }

    /// <summary>
    /// <paramref name="iterators"/>, loaded first when <paramref name="wait"/> is set: null, with the
    /// reason in <paramref name="why"/>, when the kernel refused them.
    /// </summary>
    private static SnapshotIterators? Loaded(SnapshotIterators? iterators, bool wait, ref string why)
    {
        if (iterators is null || !wait || iterators.WaitLoaded(out why))
        {
            return iterators;
        }
        iterators.Dispose();
        return null;
    }

    /// <summary>Whether the collector named (or $SOCKPEER_COLLECTOR's) is <c>bpf</c>, which must run or fail, where <c>auto</c> falls back.</summary>
    public static bool IsRequired(string? requested) => NameOf(requested) == "bpf";

    private static string NameOf(string? requested)
        => string.IsNullOrEmpty(requested) ? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto" : requested;
}
