using System.Diagnostics;
using SockPeer.Inventory;
using SockPeer.Serve.Filters;
using SockPeer.Serve.Metrics;

namespace SockPeer.Serve.Snapshots;

/// <summary>One snapshot with the measurements computed from it once, for every scrape that shares it.</summary>
internal sealed record Snapshot(SocketInventory Inventory, UnixSocketMeasurements Measurements, DateTime TakenAtUtc, TimeSpan Duration, long Generation);

/// <summary>
/// Takes snapshots for the server: at most one in flight, concurrent callers share it, and a caller
/// within <c>minInterval</c> of the last one gets that one. The read function is one
/// <see cref="SocketInventoryReader"/> kept for the life of the process.
/// </summary>
internal sealed class SnapshotSource
{
    private readonly Func<SocketInventory> _read;
    private readonly Func<SocketInventory, UnixSocketMeasurements> _measure;
    private readonly TimeSpan _minInterval;
    private readonly Action<string> _log;
    private readonly Lock _gate = new();
    private Task<Snapshot>? _inFlight;
    private Snapshot? _last;
    private long _taken;
    private long _failed;
    private int _running;
    private int _maxRunning;

    public SnapshotSource(Func<SocketInventory> read, Func<SocketInventory, UnixSocketMeasurements> measure, TimeSpan minInterval, Action<string> log)
    {
        _read = read;
        _measure = measure;
        _minInterval = minInterval;
        _log = log;
    }

    /// <summary>Snapshots taken successfully so far.</summary>
    public long Taken => Interlocked.Read(ref _taken);
    /// <summary>Snapshots that failed so far.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>The most snapshots ever in flight at once (1 unless the single-flight rule broke).</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxRunning);
    /// <summary>The last successful snapshot, if any.</summary>
    public Snapshot? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>A fresh enough snapshot: the last one, the one in flight, or a new one.</summary>
    public Task<Snapshot> GetAsync()
    {
        lock (_gate)
        {
            if (_last is { } last && DateTime.UtcNow - last.TakenAtUtc < _minInterval)
            {
                return Task.FromResult(last);
            }
            // Assigned before the lock is released, so Take's own lock below cannot clear it first.
            return _inFlight ??= Task.Run(Take);
        }
    }

    private Snapshot Take()
    {
        int running = Interlocked.Increment(ref _running);
        int max;
        while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
        {
        }
        try
        {
            var clock = Stopwatch.StartNew();
            var inventory = _read();
            var measurements = _measure(inventory);
            var snapshot = new Snapshot(inventory, measurements, DateTime.UtcNow, clock.Elapsed, Interlocked.Increment(ref _taken));
            lock (_gate)
            {
                _last = snapshot;
                _inFlight = null;
            }
            return snapshot;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failed);
            lock (_gate)
            {
                _inFlight = null;
            }
            _log($"sockpeer: snapshot failed: {OneLine(e.Message)}");
            throw new SnapshotFailedException(OneLine(e.Message), e);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    internal static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
}

/// <summary>A snapshot could not be taken; the message is one line.</summary>
internal sealed class SnapshotFailedException(string message, Exception inner) : Exception(message, inner);
