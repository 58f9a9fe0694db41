using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace SockPeer.Ebpf.Interop;

/// <summary>
/// Opens one of the BPF objects embedded in this assembly (built by bpf/build.sh), after the checks
/// every one of them needs, in the order that gives the real reason first: Linux, a build that has
/// the program, kernel BTF, the privilege, then what the caller adds (<c>precondition</c>), then
/// libbpf. The object is opened, not loaded: the caller sizes its maps, loads and attaches it.
/// </summary>
internal static unsafe class EmbeddedProgram
{
    /// <summary>
    /// Whether the object opened (<paramref name="obj"/>), and else the reason in <paramref name="why"/>. <paramref name="program"/>
    /// names it in those reasons ("eBPF program", "BPF collector program"); <paramref name="precondition"/>
    /// returns a reason it cannot run, or null.
    /// </summary>
    public static bool TryOpen(string resource, string program, Func<string?>? precondition, out nint obj, [NotNullWhen(true)] out Libbpf? bpf, out string why)
    {
        bpf = null;
        obj = 0;
        if (!OperatingSystem.IsLinux())
        {
            why = "eBPF needs Linux";
            return false;
        }
        using Stream? image = typeof(EmbeddedProgram).Assembly.GetManifestResourceStream(resource);
        if (image is null)
        {
            why = $"this build has no {program} (clang, bpftool and libbpf-dev were missing when it was built)";
            return false;
        }
        if (!File.Exists("/sys/kernel/btf/vmlinux"))
        {
            why = $"the kernel has no BTF (/sys/kernel/btf/vmlinux), which the {program} needs";
            return false;
        }
        if ((Privilege.Missing() ?? precondition?.Invoke()) is { } cannot)
        {
            why = cannot;
            return false;
        }
        bpf = Libbpf.TryLoad(out string? missing);
        if (bpf is null)
        {
            why = missing!;
            return false;
        }
        byte[] bytes = new byte[image.Length];
        image.ReadExactly(bytes);
        fixed (byte* p = bytes)
        {
            obj = bpf.ObjectOpenMem(p, (nuint)bytes.Length, null);
        }
        why = obj == 0 ? $"the {program} could not be opened: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}" : "";
        return obj != 0;
    }
}
