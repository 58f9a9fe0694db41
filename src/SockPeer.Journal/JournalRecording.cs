using SockPeer.Events;
using SockPeer.Inventory;

namespace SockPeer.Journal;

/// <summary>
/// The recording loop of <c>sockpeer record</c> and <c>serve --record</c>: starts the event source,
/// then stores each batch of events that passes list's filters in one transaction, prunes when due,
/// and stops cleanly when cancelled. Warnings (a failed write, a prune) go to <paramref name="warn"/>
/// as well as into the journal. Each stored event also goes to <paramref name="alsoTo"/> when given
/// (record's OTLP export).
/// </summary>
internal static class JournalRecording
{
    public static void Run(ISocketEventSource source, SocketEventFilter filter, JournalRecorder recorder, Action<SocketInventory> started, Action<string> warn, CancellationToken stop,
        Action<SocketEvent>? alsoTo = null)
    {
        var first = source.Start(stop);
        started(first);
        while (!stop.IsCancellationRequested)
        {
            var events = source.Next(stop);
            var kept = new List<SocketEvent>(events.Count);
            foreach (var e in events)
            {
                if (filter.Matches(e))
                {
                    kept.Add(e);
                }
            }
            if (recorder.Append(kept).Failure is { } failure)
            {
                warn(failure);
            }
            if (alsoTo is not null)
            {
                foreach (var e in kept)
                {
                    alsoTo(e);
                }
            }
            if (recorder.PruneIfDue(DateTimeOffset.UtcNow) is { Message: { } pruned })
            {
                warn(pruned);
            }
        }
        recorder.Stop();
    }
}
