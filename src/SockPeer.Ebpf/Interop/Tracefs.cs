using System.Runtime.InteropServices;

namespace SockPeer.Ebpf.Interop;

/// <summary>
/// Tracepoints are attached by their id under tracefs. Most systems mount it (systemd does, at
/// /sys/kernel/tracing); where nothing did, the source mounts it there, as systemd would.
/// </summary>
internal static partial class Tracefs
{
    private const string Mountpoint = "/sys/kernel/tracing";
    private const string Probe = "events/syscalls/sys_enter_connect/id";

    /// <summary>Whether the syscall tracepoints can be found, mounting tracefs when needed; the reason when not.</summary>
    public static bool Ensure(out string? why)
    {
        why = null;
        if (File.Exists($"{Mountpoint}/{Probe}") || File.Exists($"/sys/kernel/debug/tracing/{Probe}"))
        {
            return true;
        }
        if (Directory.Exists(Mountpoint) && Mount("tracefs", Mountpoint, "tracefs", 0, 0) != 0)
        {
            why = $"tracefs is not mounted and could not be mounted at {Mountpoint}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            return false;
        }
        if (!File.Exists($"{Mountpoint}/{Probe}"))
        {
            why = "the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)";
            return false;
        }
        return true;
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string type, ulong flags, nint data);
}
