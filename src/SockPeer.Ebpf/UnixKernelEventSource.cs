using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using SockPeer.Ebpf.Interop;

namespace SockPeer.Ebpf;

/// <summary>
/// Every AF_UNIX stream/seqpacket connect, accept and close on the host, from an eBPF program
/// (bpf/unix_events.bpf.c) on the connect/accept/close syscall tracepoints and process exit. Needs
/// root (or CAP_BPF and CAP_PERFMON), kernel BTF and libbpf.so.1; <see cref="TryStart(out string, uint)"/> says which
/// is missing. Not thread-safe: one thread polls.
/// </summary>
public sealed unsafe class UnixKernelEventSource : IDisposable
{
    private const string ProgramResource = "unix_events.bpf.o";
    private const int NamePrefixMax = 108; // sun_path
    private const int ConfigSize = 16 + 128;
    private readonly Libbpf _bpf;
    private readonly nint _object;
    private readonly List<nint> _links;
    private readonly nint _ring;
    private readonly int _lostFd;
    private readonly long _monotonicToUnixNs;
    private GCHandle _self;
    private List<UnixKernelEvent>? _sink;
    private bool _disposed;

    private UnixKernelEventSource(Libbpf bpf, nint obj, List<nint> links, int eventsFd, int lostFd)
    {
        _bpf = bpf;
        _object = obj;
        _links = links;
        _lostFd = lostFd;
        // Stopwatch on Linux is CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns().
        long monotonicNs = (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        _monotonicToUnixNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L) - monotonicNs;
        _self = GCHandle.Alloc(this);
        _ring = bpf.RingBufferNew(eventsFd, &OnRecord, (void*)GCHandle.ToIntPtr(_self), null);
        if (_ring == 0)
        {
            _self.Free();
            throw new InvalidOperationException($"ring buffer: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Whether this build carries the eBPF program (clang, bpftool and libbpf-dev were there at build time).</summary>
    public static bool IsBuiltIn => typeof(UnixKernelEventSource).Assembly.GetManifestResourceInfo(ProgramResource) is not null;

    /// <summary>
    /// Loads and attaches the program; null, with <paramref name="why"/>, where it cannot run here.
    /// <paramref name="ringBufferBytes"/> (a power of two, at least a page) sizes the kernel's queue of
    /// events not yet read; events that find it full are counted in <see cref="Lost"/>.
    /// </summary>
    public static UnixKernelEventSource? TryStart(out string why, uint ringBufferBytes = 1 << 20) => TryStart(out why, ringBufferBytes, []);

    /// <summary>
    /// As <see cref="TryStart(out string, uint)"/>, with events dropped in the kernel unless the
    /// socket's name or its peer's begins with <paramref name="namePrefix"/> (raw name bytes: an
    /// abstract name begins with NUL; at most 108 bytes). A client's close then names the listener
    /// it reached when the client itself is unnamed. Empty: every event.
    /// </summary>
    public static UnixKernelEventSource? TryStart(out string why, uint ringBufferBytes, ReadOnlySpan<byte> namePrefix)
    {
        if (namePrefix.Length > NamePrefixMax)
        {
            throw new ArgumentOutOfRangeException(nameof(namePrefix), $"a name has at most {NamePrefixMax} bytes");
        }
        // Checked after the privilege: unprivileged, tracefs (mode 0700) looks unmounted, which is not the reason.
        if (!EmbeddedProgram.TryOpen(ProgramResource, "eBPF program", () => Tracefs.Ensure(out string? noTracepoints) ? null : noTracepoints, out nint obj, out Libbpf? bpf, out why))
        {
            return null;
        }
        var links = new List<nint>();
        try
        {
            nint events = FindMap(bpf, obj, "events"u8);
            nint lost = FindMap(bpf, obj, "lost"u8);
            if (events == 0 || lost == 0)
            {
                why = "the eBPF program has no event maps";
                return null;
            }
            if (bpf.MapSetMaxEntries(events, ringBufferBytes) != 0)
            {
                why = $"ring buffer of {ringBufferBytes} bytes refused (a power of two of at least a page is needed)";
                return null;
            }
            if (bpf.ObjectLoad(obj) is int err and not 0)
            {
                why = $"the kernel refused the eBPF program: {Describe(err)}";
                return null;
            }
            nint config = FindMap(bpf, obj, "sockpeer_config"u8);
            if (config == 0)
            {
                why = "the eBPF program has no configuration map";
                return null;
            }
            // struct sockpeer_config (bpf/unix_events.h); set before any program runs.
            byte* value = stackalloc byte[ConfigSize];
            var fields = new Span<byte>(value, ConfigSize);
            fields.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(fields, (uint)namePrefix.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(fields[8..], BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)));
            namePrefix.CopyTo(fields[16..]);
            uint zero = 0;
            if (bpf.MapUpdateElem(bpf.MapFd(config), &zero, value, 0) != 0)
            {
                why = $"the eBPF program could not be configured: {Marshal.GetLastPInvokeErrorMessage()}";
                return null;
            }
            for (nint prog = bpf.ObjectNextProgram(obj, 0); prog != 0; prog = bpf.ObjectNextProgram(obj, prog))
            {
                nint link = bpf.ProgramAttach(prog);
                if (link == 0)
                {
                    why = $"the eBPF program {Marshal.PtrToStringUTF8((nint)bpf.ProgramName(prog))} could not be attached: {Marshal.GetLastPInvokeErrorMessage()}";
                    return null;
                }
                links.Add(link);
            }
            var source = new UnixKernelEventSource(bpf, obj, links, bpf.MapFd(events), bpf.MapFd(lost));
            obj = 0;
            links = [];
            why = "";
            return source;
        }
        catch (InvalidOperationException e)
        {
            why = e.Message;
            return null;
        }
        finally
        {
            foreach (nint link in links)
            {
                bpf.LinkDestroy(link);
            }
            if (obj != 0)
            {
                bpf.ObjectClose(obj);
            }
        }
    }

    private static nint FindMap(Libbpf bpf, nint obj, ReadOnlySpan<byte> name)
    {
        Span<byte> z = stackalloc byte[name.Length + 1];
        name.CopyTo(z);
        fixed (byte* p = z)
        {
            return bpf.ObjectFindMapByName(obj, p);
        }
    }

    private static string Describe(int err)
    {
        int errno = Math.Abs(err);
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return errno == 1 ? $"{text} (needs root, or CAP_BPF and CAP_PERFMON; a locked-down kernel may refuse it)" : text;
    }

    /// <summary>Events dropped in the kernel because the ring buffer was full, since the start.</summary>
    public ulong Lost
    {
        get
        {
            uint key = 0;
            ulong value = 0;
            return _bpf.MapLookupElem(_lostFd, &key, &value) == 0 ? value : 0;
        }
    }

    /// <summary>
    /// Waits <paramref name="timeout"/> (less when the ring fills up) and appends every event queued
    /// to <paramref name="into"/>; returns how many were added. Events are delivered in batches: the
    /// timeout is their latency.
    /// </summary>
    public int Poll(TimeSpan timeout, List<UnixKernelEvent> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int before = into.Count;
        _sink = into;
        try
        {
            // The program wakes this reader only when the ring is a quarter full (a wake-up per event
            // costs more than the event), so a poll that times out still reads what is queued.
            int n = _bpf.RingBufferPoll(_ring, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
            if (n >= 0 || n == -4 /* EINTR */)
            {
                n = _bpf.RingBufferConsume(_ring);
            }
            if (n < 0 && n != -4)
            {
                throw new IOException($"reading eBPF events failed: {Marshal.GetPInvokeErrorMessage(-n)}");
            }
        }
        finally
        {
            _sink = null;
        }
        return into.Count - before;
    }

    [UnmanagedCallersOnly]
    private static int OnRecord(void* context, void* data, nuint size)
    {
        var self = (UnixKernelEventSource)GCHandle.FromIntPtr((nint)context).Target!;
        if (self._sink is { } sink && UnixKernelEventParser.TryParse(new ReadOnlySpan<byte>(data, (int)Math.Min(size, int.MaxValue)), self._monotonicToUnixNs, out var e))
        {
            sink.Add(e!);
        }
        return 0;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _bpf.RingBufferFree(_ring);
        foreach (nint link in _links)
        {
            _bpf.LinkDestroy(link);
        }
        _bpf.ObjectClose(_object);
        _self.Free();
    }
}
