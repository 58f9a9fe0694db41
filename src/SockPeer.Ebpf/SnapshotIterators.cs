using System.Runtime.InteropServices;
using SockPeer.Ebpf.Interop;
using SockPeer.Inventory;

namespace SockPeer.Ebpf;

/// <summary>
/// The bpf collector's kernel side: the descriptor program (bpf/holders.bpf.c, CO-RE, embedded)
/// loaded once, its iterator attached, and an iterator descriptor made on each read. Nothing is
/// traced: the iterator runs only while its descriptor is read. Loading costs the verifier and
/// CO-RE's reading of the kernel's BTF (~60 ms), so a process that takes many snapshots keeps one
/// instance, and <see cref="StartLoading"/> lets that time pass while the snapshot's sock_diag dumps
/// run, which need nothing from it.
/// </summary>
public sealed unsafe class SnapshotIterators : ISnapshotIterators, IDisposable
{
    private const string ProgramResource = "holders.bpf.o";
    private const int NoProgram = 2; // ENOENT
    private readonly Libbpf _bpf;
    private nint _obj;
    private nint _taskFile;
    private readonly Task<string>? _loading;
    private string? _failure;

    private SnapshotIterators(Libbpf bpf, nint obj, bool inBackground)
    {
        _bpf = bpf;
        _obj = obj;
        if (inBackground)
        {
            _loading = Task.Factory.StartNew(Load, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        else
        {
            _failure = Load();
        }
    }

    /// <summary>Loads and attaches the iterators; null with the reason (one sentence) when they cannot be used here.</summary>
    public static SnapshotIterators? TryLoad(out string why)
    {
        var iterators = Open(inBackground: false, out why);
        if (iterators is not null && !iterators.WaitLoaded(out why))
        {
            iterators.Dispose();
            return null;
        }
        return iterators;
    }

    /// <summary>
    /// Checks what can be checked at once (kernel BTF, privilege, libbpf, the embedded object) and
    /// loads the program on another thread; <see cref="WaitLoaded"/>, and every read, wait for it.
    /// Null, with the reason (one sentence), when it cannot be used here.
    /// </summary>
    public static SnapshotIterators? StartLoading(out string why) => Open(inBackground: true, out why);

    private static SnapshotIterators? Open(bool inBackground, out string why)
    {
        if (!EmbeddedProgram.TryOpen(ProgramResource, "BPF collector program", null, out nint obj, out Libbpf? bpf, out why))
        {
            return null;
        }
        return new SnapshotIterators(bpf, obj, inBackground);
    }

    /// <summary>Loads the opened object and attaches its iterator; the reason it could not, or "".</summary>
    private string Load()
    {
        if (_bpf.ObjectLoad(_obj) is int err and not 0)
        {
            return $"the kernel refused the BPF collector program: {Marshal.GetPInvokeErrorMessage(Math.Abs(err))}";
        }
        for (nint prog = _bpf.ObjectNextProgram(_obj, 0); prog != 0; prog = _bpf.ObjectNextProgram(_obj, prog))
        {
            string name = Marshal.PtrToStringUTF8((nint)_bpf.ProgramName(prog)) ?? "";
            nint link = _bpf.ProgramAttach(prog);
            if (link == 0)
            {
                return $"the BPF iterator {name} could not be attached: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}";
            }
            if (name == "sockpeer_task_file" && _taskFile == 0)
            {
                _taskFile = link;
            }
            else
            {
                _bpf.LinkDestroy(link);
            }
        }
        return _taskFile == 0 ? "the BPF collector program lacks its iterator" : "";
    }

    /// <inheritdoc />
    public bool WaitLoaded(out string why)
    {
        ObjectDisposedException.ThrowIf(_obj == 0, this);
        _failure ??= _loading!.GetAwaiter().GetResult();
        why = _failure;
        return why.Length == 0;
    }

    /// <inheritdoc />
    public int OpenFileDescriptors()
    {
        if (!WaitLoaded(out _))
        {
            return -NoProgram; // the reader asked WaitLoaded first, and has the reason
        }
        // libbpf 1.x returns the negative errno itself.
        return _bpf.IterCreate(_bpf.LinkFd(_taskFile));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_obj == 0)
        {
            return;
        }
        _loading?.Wait(); // libbpf's object is not to be closed under the load
        if (_taskFile != 0)
        {
            _bpf.LinkDestroy(_taskFile);
            _taskFile = 0;
        }
        _bpf.ObjectClose(_obj);
        _obj = 0;
    }
}
