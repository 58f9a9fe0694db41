using System.Runtime.InteropServices;

namespace SockPeer.Ebpf.Interop;

/// <summary>
/// The few libbpf 1.x calls the event source needs, bound at run time with
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>: a machine without libbpf.so.1 (Debian's
/// libbpf1) runs everything else, and <see cref="TryLoad"/> says why eBPF cannot be used.
/// </summary>
internal sealed unsafe class Libbpf
{
    private const string Name = "libbpf.so.1";

    public readonly delegate* unmanaged<void*, nint> SetPrint;
    public readonly delegate* unmanaged<void*, nuint, void*, nint> ObjectOpenMem;
    public readonly delegate* unmanaged<nint, int> ObjectLoad;
    public readonly delegate* unmanaged<nint, void> ObjectClose;
    public readonly delegate* unmanaged<nint, nint, nint> ObjectNextProgram;
    public readonly delegate* unmanaged<nint, byte*, nint> ObjectFindMapByName;
    public readonly delegate* unmanaged<nint, nint> ProgramAttach;
    public readonly delegate* unmanaged<nint, byte*> ProgramName;
    public readonly delegate* unmanaged<nint, int> MapFd;
    public readonly delegate* unmanaged<nint, uint, int> MapSetMaxEntries;
    public readonly delegate* unmanaged<nint, int> LinkDestroy;
    public readonly delegate* unmanaged<int, delegate* unmanaged<void*, void*, nuint, int>, void*, void*, nint> RingBufferNew;
    public readonly delegate* unmanaged<nint, int, int> RingBufferPoll;
    public readonly delegate* unmanaged<nint, int> RingBufferConsume;
    public readonly delegate* unmanaged<nint, void> RingBufferFree;
    public readonly delegate* unmanaged<int, void*, void*, int> MapLookupElem;
    public readonly delegate* unmanaged<int, void*, void*, ulong, int> MapUpdateElem;
    public readonly delegate* unmanaged<nint, int> LinkFd;
    public readonly delegate* unmanaged<int, int> IterCreate;

    private Libbpf(nint handle)
    {
        SetPrint = (delegate* unmanaged<void*, nint>)NativeLibrary.GetExport(handle, "libbpf_set_print");
        ObjectOpenMem = (delegate* unmanaged<void*, nuint, void*, nint>)NativeLibrary.GetExport(handle, "bpf_object__open_mem");
        ObjectLoad = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "bpf_object__load");
        ObjectClose = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "bpf_object__close");
        ObjectNextProgram = (delegate* unmanaged<nint, nint, nint>)NativeLibrary.GetExport(handle, "bpf_object__next_program");
        ObjectFindMapByName = (delegate* unmanaged<nint, byte*, nint>)NativeLibrary.GetExport(handle, "bpf_object__find_map_by_name");
        ProgramAttach = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(handle, "bpf_program__attach");
        ProgramName = (delegate* unmanaged<nint, byte*>)NativeLibrary.GetExport(handle, "bpf_program__name");
        MapFd = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "bpf_map__fd");
        MapSetMaxEntries = (delegate* unmanaged<nint, uint, int>)NativeLibrary.GetExport(handle, "bpf_map__set_max_entries");
        LinkDestroy = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "bpf_link__destroy");
        RingBufferNew = (delegate* unmanaged<int, delegate* unmanaged<void*, void*, nuint, int>, void*, void*, nint>)NativeLibrary.GetExport(handle, "ring_buffer__new");
        RingBufferPoll = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(handle, "ring_buffer__poll");
        RingBufferConsume = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "ring_buffer__consume");
        RingBufferFree = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "ring_buffer__free");
        MapLookupElem = (delegate* unmanaged<int, void*, void*, int>)NativeLibrary.GetExport(handle, "bpf_map_lookup_elem");
        MapUpdateElem = (delegate* unmanaged<int, void*, void*, ulong, int>)NativeLibrary.GetExport(handle, "bpf_map_update_elem");
        LinkFd = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(handle, "bpf_link__fd");
        IterCreate = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(handle, "bpf_iter_create");
    }

    private static Libbpf? _loaded;

    /// <summary>Loads libbpf once; null with the reason when it is not installed or too old.</summary>
    public static Libbpf? TryLoad(out string? why)
    {
        why = null;
        if (_loaded is not null)
        {
            return _loaded;
        }
        if (!NativeLibrary.TryLoad(Name, out nint handle))
        {
            why = $"{Name} is not installed (Debian: libbpf1)";
            return null;
        }
        try
        {
            _loaded = new Libbpf(handle);
            // libbpf's own messages go to stderr by default; the reason for a failure is returned instead.
            _loaded.SetPrint(null);
            return _loaded;
        }
        catch (EntryPointNotFoundException e)
        {
            why = $"{Name} lacks a function sockpeer needs ({e.Message}); libbpf 1.0 or newer is needed";
            return null;
        }
    }
}
