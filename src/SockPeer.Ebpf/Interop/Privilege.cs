using System.Globalization;

namespace SockPeer.Ebpf.Interop;

/// <summary>
/// Whether this process may load and attach the eBPF program: CAP_SYS_ADMIN, or CAP_BPF with
/// CAP_PERFMON (tracepoints), in its effective set. Checked first, so an unprivileged user hears that
/// reason rather than the first step that fails for want of it (tracefs, mode 0700, looks unmounted).
/// </summary>
internal static class Privilege
{
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    /// <summary>Null when the effective capabilities allow it (or cannot be read); else the reason.</summary>
    public static string? Missing()
    {
        ulong eff;
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            if (line is null || !ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out eff))
            {
                return null;
            }
        }
        catch (IOException)
        {
            return null;
        }
        bool Has(int cap) => (eff & (1UL << cap)) != 0;
        return Has(CapSysAdmin) || (Has(CapBpf) && Has(CapPerfmon))
            ? null
            : "it needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), and this process has neither";
    }
}
