using System.Diagnostics;

namespace SockPeer.Ebpf;

/// <summary>
/// The one eBPF source of a process: one program, one ring buffer and one drain thread ("sockpeer
/// ebpf"), whose events <see cref="UnixConnectionMatcher"/> turns into connection facts handed to every
/// subscriber (watch's <see cref="EbpfEventSource"/>, serve's connection counters). Consumers of one
/// process share one tracker, so they count the same connections.
/// </summary>
public sealed class UnixConnectionTracker : IDisposable
{
    // How long events wait in the kernel's ring before they are read: batches, not a wake-up per event.
    // Not longer: the work of 50 ms of a busy host's events came as one burst of a few milliseconds,
    // and while it held a core, a daemon's serial stage (nginx's one worker) waited and the other core
    // idled: at 50 ms nginx + php-fpm lost 15 % of its requests under an unfiltered watch, at 10 ms 12.5 %.
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(10);

    private readonly UnixKernelEventSource _kernel;
    private readonly UnixConnectionMatcher _matcher = new();
    private readonly Thread _drain;
    private readonly Lock _gate = new();
    private Subscriber[] _subscribers = [];
    private volatile bool _stopping;
    private int _started;
    private volatile IOException? _failure;
    private long _deliveredThrough;

    private sealed record Subscriber(Action<IReadOnlyList<UnixConnectionFact>> OnFacts, Action<IOException>? OnFailure);

    private UnixConnectionTracker(UnixKernelEventSource kernel)
    {
        _kernel = kernel;
        _drain = new Thread(Drain) { IsBackground = true, Name = "sockpeer ebpf" };
    }

    /// <summary>
    /// Loads the eBPF program (not yet draining: see <see cref="Start"/>); null, with
    /// <paramref name="why"/>, where it cannot run. <paramref name="namePrefix"/> as
    /// <see cref="UnixKernelEventSource.TryStart(out string, uint, ReadOnlySpan{byte})"/>: the kernel drops
    /// the events of sockets named otherwise, for every subscriber.
    /// </summary>
    public static UnixConnectionTracker? TryCreate(uint ringBufferBytes, ReadOnlySpan<byte> namePrefix, out string why)
    {
        var kernel = UnixKernelEventSource.TryStart(out why, ringBufferBytes, namePrefix);
        return kernel is null ? null : new UnixConnectionTracker(kernel);
    }

    /// <summary>Events the kernel dropped because the ring buffer was full, since the start.</summary>
    public ulong Lost => _kernel.Lost;

    /// <summary>
    /// Kernel monotonic time (nanoseconds, as <see cref="MonotonicNow"/>) up to which every event has been
    /// read and its facts handed to the subscribers (except accepts and closes the matcher holds for
    /// their connect): a snapshot that ended before it has nothing the subscribers are still to hear of.
    /// </summary>
    public ulong DeliveredThrough => (ulong)Interlocked.Read(ref _deliveredThrough);

    /// <summary>Why the drain stopped, once it has (reading the ring buffer failed); null while it runs.</summary>
    public IOException? Failure => _failure;

    /// <summary>
    /// Hands every later batch of facts to <paramref name="onFacts"/>, on the drain thread (keep it
    /// short: the ring fills while it runs), and a failure of the drain to <paramref name="onFailure"/>.
    /// Disposing the result unsubscribes.
    /// </summary>
    public IDisposable Subscribe(Action<IReadOnlyList<UnixConnectionFact>> onFacts, Action<IOException>? onFailure = null)
    {
        ArgumentNullException.ThrowIfNull(onFacts);
        var s = new Subscriber(onFacts, onFailure);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, s];
        }
        return new Unsubscribe(this, s);
    }

    private sealed class Unsubscribe(UnixConnectionTracker tracker, Subscriber s) : IDisposable
    {
        public void Dispose()
        {
            lock (tracker._gate)
            {
                tracker._subscribers = [.. tracker._subscribers.Where(x => !ReferenceEquals(x, s))];
            }
        }
    }

    /// <summary>Starts the drain thread (once; later calls do nothing).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _drain.Start();
        }
    }

    private void Drain()
    {
        var events = new List<UnixKernelEvent>();
        try
        {
            while (!_stopping)
            {
                ulong readFrom = MonotonicNow(); // every event made before this is in the ring for the poll below
                _kernel.Poll(DrainInterval, events);
                var facts = _matcher.Match(events, MonotonicNow());
                events.Clear();
                if (facts.Count > 0)
                {
                    foreach (var s in _subscribers)
                    {
                        s.OnFacts(facts);
                    }
                }
                Interlocked.Exchange(ref _deliveredThrough, (long)readFrom);
            }
        }
        catch (IOException e)
        {
            _failure = e;
            foreach (var s in _subscribers)
            {
                s.OnFailure?.Invoke(e);
            }
        }
    }

    /// <summary>CLOCK_MONOTONIC (Stopwatch's clock on Linux, and bpf_ktime_get_ns()'s) in nanoseconds.</summary>
    public static ulong MonotonicNow() => (ulong)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping = true;
        if (_drain.IsAlive)
        {
            _drain.Join();
        }
        _kernel.Dispose();
    }
}
