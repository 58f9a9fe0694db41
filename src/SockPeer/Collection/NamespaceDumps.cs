using System.Text;
using SockPeer.Endpoints.Families;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// Runs the per-namespace dump over every namespace of a <see cref="NamespacePlan"/> and puts the
/// results together into one <see cref="RawDump"/>, with every endpoint family's dumps beside it. The caller's own namespace falls back to
/// /proc/net/unix when sock_diag is unavailable; another namespace that cannot be entered (no
/// CAP_SYS_ADMIN) or dumped becomes a warning, as does not being able to find the others at all.
/// </summary>
internal sealed class NamespaceDumps(InventoryOptions options, IDiagChannelFactory channels, FamilyDumper dumper)
{
    /// <summary>Dumps every family asked for in every namespace of <paramref name="plan"/>.</summary>
    public CollectedDumps Collect(NamespacePlan plan, CancellationToken cancellationToken)
    {
        var dump = new RawDumpBuilder();
        var endpoints = new List<FamilyDump>();
        var warnings = new List<InventoryWarning>();
        void Add(NamespaceFamiliesDump d)
        {
            dump.Add(d.Unix);
            warnings.AddRange(d.Unix.Warnings);
            endpoints.AddRange(d.Endpoints);
        }
        bool peersKnown = true;

        if (plan.IncludeCurrent)
        {
            try
            {
                using IDiagChannel channel = channels.Open();
                Add(dumper.DumpNamespace(channel, plan.Current, options.ProcRoot + "/thread-self/net/protocols"));
            }
            catch (DiagUnavailableException e)
            {
                peersKnown = false;
                var (records, fallbackWarnings) = ProcNetUnixFallback.Read(options.ProcRoot, e.Message);
                warnings.AddRange(fallbackWarnings);
                foreach (var r in records)
                {
                    dump.Add(r, plan.Current);
                }
            }
        }
        int denied = 0;
        Errno deniedWhy = Errno.None;
        foreach (var ns in plan.Others)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using IDiagChannel channel = ns.OpenChannel();
                string protocols = ns.SamplePid > 0 ? $"{options.ProcRoot}/{ns.SamplePid}/net/protocols" : "";
                Add(dumper.DumpNamespace(channel, ns.Inode, protocols));
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
                + (plan.Unreadable > 0 ? $", nor could those of {plan.Unreadable} processes be read" : "")
                + ": their sockets are missing, and peers that live there show as not seen") { Count = denied });
        }
        else if (plan.Unreadable > 0 && !CanEnterNamespaces())
        {
            warnings.Add(new InventoryWarning(WarningCode.NamespacesNotFound, $"other network namespaces could not be found or entered: those of {plan.Unreadable} processes could not be read (needs root): "
                + "sockets in any other namespace are missing, and peers that live there show as not seen") { Count = plan.Unreadable });
        }
        return new CollectedDumps(dump.Build(peersKnown), endpoints, warnings);
    }

    /// <summary>Whether this thread has CAP_SYS_ADMIN (bit 21 of CapEff), the right to enter other network namespaces.</summary>
    private bool CanEnterNamespaces()
    {
        byte[] buffer = new byte[4096];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(options.ProcRoot + "/thread-self/status"), ref buffer);
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
}
