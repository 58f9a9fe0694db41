using System.Runtime.InteropServices;
using SockPeer.Ebpf.Interop;
using SockPeer.Inventory;

namespace SockPeer.Ebpf;

/// <summary>
/// The bpf collector's kernel side: the descriptor program (bpf/holders.bpf.c, CO-RE, embedded)
/// loaded once, its iterator attached, and an iterator descriptor made on each read. Nothing is
/// traced: the iterator runs only while its descriptor is read. Loading costs the verifier and
/// CO-RE's reading of the kernel's BTF (tens of milliseconds), so a process that takes many
/// snapshots keeps one instance.
/// </summary>
public sealed unsafe class SnapshotIterators : ISnapshotIterators, IDisposable
{
    private const string ProgramResource = "holders.bpf.o";
    private readonly Libbpf _bpf;
    private nint _obj;
    private readonly nint _taskFile;

    private SnapshotIterators(Libbpf bpf, nint obj, nint taskFile)
    {
        _bpf = bpf;
        _obj = obj;
        _taskFile = taskFile;
    }

    /// <summary>Loads and attaches the iterators; null with the reason (one sentence) when they cannot be used here.</summary>
    public static SnapshotIterators? TryLoad(out string why)
    {
        if (!EmbeddedProgram.TryOpen(ProgramResource, "BPF collector program", null, out nint obj, out Libbpf? bpf, out why))
        {
            return null;
        }
        nint taskFile = 0;
        try
        {
            if (bpf.ObjectLoad(obj) is int err and not 0)
            {
                why = $"the kernel refused the BPF collector program: {Marshal.GetPInvokeErrorMessage(Math.Abs(err))}";
                return null;
            }
            for (nint prog = bpf.ObjectNextProgram(obj, 0); prog != 0; prog = bpf.ObjectNextProgram(obj, prog))
            {
                string name = Marshal.PtrToStringUTF8((nint)bpf.ProgramName(prog)) ?? "";
                nint link = bpf.ProgramAttach(prog);
                if (link == 0)
                {
                    why = $"the BPF iterator {name} could not be attached: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}";
                    return null;
                }
                if (name == "sockpeer_task_file")
                {
                    taskFile = link;
                }
                else
                {
                    bpf.LinkDestroy(link);
                }
            }
            if (taskFile == 0)
            {
                why = "the BPF collector program lacks its iterator";
                return null;
            }
            var iterators = new SnapshotIterators(bpf, obj, taskFile);
            obj = 0;
            taskFile = 0;
            why = "";
            return iterators;
        }
        finally
        {
            if (taskFile != 0)
            {
                bpf.LinkDestroy(taskFile);
            }
            if (obj != 0)
            {
                bpf.ObjectClose(obj);
            }
        }
    }

    /// <inheritdoc />
    public int OpenFileDescriptors() => Create(_taskFile);

    private int Create(nint link)
    {
        ObjectDisposedException.ThrowIf(_obj == 0, this);
        // libbpf 1.x returns the negative errno itself.
        return _bpf.IterCreate(_bpf.LinkFd(link));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_obj == 0)
        {
            return;
        }
        _bpf.LinkDestroy(_taskFile);
        _bpf.ObjectClose(_obj);
        _obj = 0;
    }
}
