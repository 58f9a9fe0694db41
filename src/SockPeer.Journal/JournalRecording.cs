using System.Diagnostics;
using SockPeer.Events;
using SockPeer.Inventory;

namespace SockPeer.Journal;

/// <summary>
/// The recording loop of <c>sockpeer record</c> and <c>serve --record</c>: starts the event source,
/// then stores the events that pass list's filters, a transaction per 50 ms at most, prunes when due,
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
        var kept = new List<SocketEvent>();
        long committed = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            var events = source.Next(stop);
            foreach (var e in events)
            {
                if (filter.Matches(e))
                {
                    kept.Add(e);
                }
            }
            // Batches gather into one transaction per CommitEvery (or CommitEvents), stored at once when the
            // source goes quiet (an empty batch): the eBPF source hands over a batch every 10 ms, and each
            // transaction writes the B-tree's last pages again.
            if (events.Count == 0 || kept.Count >= CommitEvents || Stopwatch.GetElapsedTime(committed) >= CommitEvery)
            {
                Store(kept, recorder, warn, alsoTo);
                committed = Stopwatch.GetTimestamp();
            }
            if (recorder.PruneIfDue(DateTimeOffset.UtcNow) is { Message: { } pruned })
            {
                warn(pruned);
            }
        }
        Store(kept, recorder, warn, alsoTo);
        recorder.Stop();
    }

    /// <summary>At most this long between transactions while events keep coming.</summary>
    private static readonly TimeSpan CommitEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>At most this many events in one transaction.</summary>
    private const int CommitEvents = 4096;

    /// <summary>
    /// Stores <paramref name="kept"/> in one transaction, hands each to <paramref name="alsoTo"/>, and empties it.
    /// Also when empty: the recorder then retries the warning of a write that failed.
    /// </summary>
    private static void Store(List<SocketEvent> kept, JournalRecorder recorder, Action<string> warn, Action<SocketEvent>? alsoTo)
    {
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
        kept.Clear();
    }
}
