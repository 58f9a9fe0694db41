using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Journal;

namespace SockPeer.Serve.Journal;

/// <summary>
/// `serve --record FILE`: the recorder of `sockpeer record`, in the server process, on its own thread.
/// With kernel events it shares the server's eBPF tracker (one ring buffer for the counters and the
/// journal); else it polls. Its snapshots come from a reader of its own (procfs), so the recorder never
/// waits for, or races with, the scrapes' reader.
/// </summary>
internal sealed class ServeRecording : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan EbpfResync = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly JournalRecorder _recorder;
    private readonly ISocketEventSource _source;

    private ServeRecording(JournalRecorder recorder, ISocketEventSource source, SocketEventFilter filter, Action<string> log)
    {
        _recorder = recorder;
        _source = source;
        _thread = new Thread(() =>
        {
            try
            {
                JournalRecording.Run(source, filter, recorder,
                    first => log($"sockpeer: recording {filter.Count(first)} socket(s) of {first.Sockets.Count} to {recorder.Path} (source {source.Name})"),
                    w => log($"sockpeer: warning: {w}"), _stop.Token);
            }
            catch (Exception e) when (e is IOException or InventoryException or InvalidOperationException or JournalException)
            {
                log($"sockpeer: warning: recording to {recorder.Path} stopped: {e.Message}");
            }
        })
        { IsBackground = true, Name = "journal" };
    }

    public static ServeRecording Start(string path, ServeOptions options, Ebpf.UnixConnectionTracker? tracker, Action<string> log)
    {
        var reader = new SocketInventoryReader(options.Inventory);
        ISocketEventSource source = tracker is not null ? Ebpf.EbpfEventSource.Over(tracker, reader, EbpfResync) : new SnapshotPoller(reader, PollInterval);
        JournalRecorder recorder;
        try
        {
            recorder = JournalRecorder.Open(path, source.Name, JournalLimits.None, out var opened);
            foreach (var gap in opened)
            {
                log($"sockpeer: warning: {gap.Message}");
            }
        }
        catch (JournalException e)
        {
            source.Dispose();
            throw new InvalidOperationException(e.Message, e);
        }
        var recording = new ServeRecording(recorder, source, new SocketEventFilter(options.Filter), log);
        recording._thread.Start();
        return recording;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _source.Dispose();
        _recorder.Dispose();
        _stop.Dispose();
    }
}
