using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// Which network namespaces one snapshot dumps: the caller's own, every one in use, or the one the
/// options name. The plan holds an open handle per other namespace for the length of one snapshot,
/// because namespace inode numbers are reused; it must be disposed before the snapshot returns,
/// since an open handle would keep a dead namespace alive.
/// </summary>
internal sealed class NamespacePlan : IDisposable
{
    /// <summary>A plan over the given namespaces; it owns <paramref name="others"/>.</summary>
    public NamespacePlan(ulong? current, bool includeCurrent, IReadOnlyList<NetNsHandle> others, int unreadable)
    {
        Current = current;
        IncludeCurrent = includeCurrent;
        Others = others;
        Unreadable = unreadable;
    }

    /// <summary>The caller's namespace, when readable.</summary>
    public ulong? Current { get; }
    /// <summary>Whether to dump the caller's namespace.</summary>
    public bool IncludeCurrent { get; }
    /// <summary>Other namespaces to enter and dump.</summary>
    public IReadOnlyList<NetNsHandle> Others { get; }
    /// <summary>Processes whose namespace could not be read (they may be in namespaces missing here).</summary>
    public int Unreadable { get; }

    /// <summary>Closes every handle.</summary>
    public void Dispose()
    {
        foreach (var ns in Others)
        {
            ns.Dispose();
        }
    }
}

/// <summary>Makes the <see cref="NamespacePlan"/> of one snapshot from the options.</summary>
internal static class NamespacePlanner
{
    /// <summary>Finds and opens the namespaces <paramref name="options"/> ask for.</summary>
    /// <exception cref="InventoryException">The one namespace asked for does not exist or cannot be opened.</exception>
    /// <param name="options">What to dump.</param>
    /// <param name="held">Finds a namespace no process is in, for <see cref="NetNsScope.One"/> by inode.</param>
    public static NamespacePlan Plan(InventoryOptions options, HeldNamespaceDumps held)
    {
        ulong? current = ReadNetNs(options.ProcRoot + "/thread-self/ns/net");
        switch (options.NetNs)
        {
            case NetNsScope.All:
            {
                var all = NetNsDiscovery.Discover(options.ProcRoot, "/run/netns", out int unreadable);
                var others = new List<NetNsHandle>();
                foreach (var ns in all)
                {
                    if (ns.Inode == current)
                    {
                        ns.Dispose();
                    }
                    else
                    {
                        others.Add(ns);
                    }
                }
                return new NamespacePlan(current, true, others, unreadable);
            }
            case NetNsScope.One:
                return PlanOne(options, current, held);
            default:
                return new NamespacePlan(current, true, [], 0);
        }
    }

    private static NamespacePlan PlanOne(InventoryOptions options, ulong? current, HeldNamespaceDumps held)
    {
        string target = options.NetNsTarget ?? "current";
        if (target == "current" || (ulong.TryParse(target, out ulong wanted) && wanted == current))
        {
            return new NamespacePlan(current, true, [], 0);
        }
        if (ulong.TryParse(target, out wanted))
        {
            NetNsHandle? match = null;
            var discovered = NetNsDiscovery.Discover(options.ProcRoot);
            foreach (var ns in discovered)
            {
                if (ns.Inode == wanted && match is null)
                {
                    match = ns;
                }
            }
            // No process in it, no mount of it: an fd or a socket may still hold it.
            match ??= held.FindHeldNamespace(wanted, discovered);
            foreach (var ns in discovered)
            {
                if (ns != match)
                {
                    ns.Dispose();
                }
            }
            return match is null
                ? throw new InventoryException($"no network namespace with inode {wanted} is in use")
                : new NamespacePlan(current, false, [match], 0);
        }
        var handle = NetNsHandle.Open(target, 0) ?? throw new InventoryException($"{target}: not a network namespace that can be opened");
        if (handle.Inode == current)
        {
            handle.Dispose();
            return new NamespacePlan(current, true, [], 0);
        }
        return new NamespacePlan(current, false, [handle], 0);
    }

    /// <summary>The namespace inode a /proc ns/net link names; null when unreadable.</summary>
    internal static ulong? ReadNetNs(string link)
    {
        Span<byte> buffer = stackalloc byte[64];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero(link), buffer);
        return n > 0 && ProcParsers.TryParseNetNsLink(buffer[..n], out ulong ns) ? ns : null;
    }
}
