using System.Diagnostics.Metrics;
using System.Reflection;
using SockPeer.Serve.Connections;
using SockPeer.Serve.Snapshots;

namespace SockPeer.Serve.Metrics;

/// <summary>
/// The measurements, recorded once as <see cref="System.Diagnostics.Metrics"/> observable instruments
/// on the meter "SockPeer". Both exports read them: the Prometheus exposition through its own
/// <see cref="MeterListener"/> (<see cref="PrometheusExposition"/>) and OTLP through the OpenTelemetry SDK.
/// A collection that has a snapshot in hand (a scrape) passes it through <see cref="Collecting"/>;
/// any other (OTLP's timer) asks the snapshot source, which shares and rate-limits snapshots.
/// </summary>
internal sealed class SockPeerInstruments : IDisposable
{
    public const string MeterName = "SockPeer";

    [ThreadStatic]
    private static Snapshot? t_collecting;

    private readonly SnapshotSource _source;
    private readonly Meter _meter;

    public SockPeerInstruments(SnapshotSource source)
    {
        _source = source;
        (Version, Commit) = BuildVersion();
        _meter = new Meter(MeterName, Version);
        Gauge("sockpeer_unix_listener_pending", "Connections waiting in a listening socket's accept queue.", m => m.ListenerPending);
        Gauge("sockpeer_unix_listener_backlog", "A listening socket's backlog: the accept queue's limit.", m => m.ListenerBacklog);
        Gauge("sockpeer_unix_listener_connections", "Accepted connections alive per listening socket.", m => m.ListenerConnections);
        Gauge("sockpeer_unix_listener_file_gone", "Listening sockets whose file was deleted or replaced (status) while still listened on.", m => m.ListenerFileGone);
        Gauge("sockpeer_unix_connections", "Connections from each client program (client) to each socket (path) served by a program (server).", m => m.Connections);
        Gauge("sockpeer_unix_queue_bytes", "Bytes queued on a server's connections: recv waits for the server to read, send for its clients.", m => m.QueueBytes, unit: "By");
        Gauge("sockpeer_unix_sockets", "Unix sockets by type and state.", m => m.Sockets);
        Gauge("sockpeer_unix_socketpairs", "Socket pairs (both ends unnamed, each the other's peer).", m => [new Measurement<long>(m.SocketPairs)]);
        Gauge("sockpeer_unix_in_flight", "Sockets held by no process, believed in flight in an SCM_RIGHTS message.", m => [new Measurement<long>(m.InFlight)]);
        Gauge("sockpeer_warnings", "Warnings of the last snapshot by code: something could not be read or may be incomplete.", m => m.Warnings);
        Gauge("sockpeer_processes_uninspected", "Processes whose descriptor tables could not be read.", m => [new Measurement<long>(m.ProcessesUninspected)]);
        Gauge("sockpeer_series_folded", "Listening and datagram server sockets folded into path=\"(other)\" past --max-listeners.", m => [new Measurement<long>(m.Folded)]);
        _meter.CreateObservableGauge<double>("sockpeer_scrape_duration_seconds", () => Current() is { } s ? [new Measurement<double>(s.Duration.TotalSeconds)] : Array.Empty<Measurement<double>>(), "s",
            "How long the last snapshot took.");
        _meter.CreateObservableCounter<long>("sockpeer_snapshots", () => new Measurement<long>[] { new(_source.Taken) }, null, "Snapshots taken since start.");
        _meter.CreateObservableCounter<long>("sockpeer_snapshot_failures", () => new Measurement<long>[] { new(_source.Failed) }, null, "Snapshots that failed since start.");
        _meter.CreateObservableGauge<long>("sockpeer_build_info", () => new Measurement<long>[] { new(1, new KeyValuePair<string, object?>("version", Version), new KeyValuePair<string, object?>("commit", Commit)) },
            null, "The sockpeer build: version and commit.");
    }

    /// <summary>
    /// The kernel's connects and accepts (only with `--source ebpf`): counters by path, server and
    /// client, and the events the kernel dropped, which they do not count.
    /// </summary>
    public void AddConnectionCounters(ConnectionCounts counts, Func<ulong> lost)
    {
        _meter.CreateObservableCounter<long>("sockpeer_unix_connects", counts.Connects, null,
            "connect(2) calls that reached a listening socket (path) served by a program (server), by the calling program (client), since start; from the kernel's events (eBPF).");
        _meter.CreateObservableCounter<long>("sockpeer_unix_accepts", counts.Accepts, null,
            "accept(2) calls that returned a connection on a listening socket (path), by the accepting program (server) and the connecting one (client), since start; from the kernel's events (eBPF).");
        _meter.CreateObservableCounter<long>("sockpeer_ebpf_events_lost", () => new Measurement<long>[] { new((long)lost()) }, null,
            "Kernel events dropped because the ring buffer was full since start: connects and accepts the counters miss.");
    }

    public Meter Meter => _meter;
    public string Version { get; }
    public string Commit { get; }

    /// <summary>Runs a collection on this thread with <paramref name="snapshot"/> as every instrument's source.</summary>
    public static void Collecting(Snapshot snapshot, Action collect)
    {
        t_collecting = snapshot;
        try
        {
            collect();
        }
        finally
        {
            t_collecting = null;
        }
    }

    private void Gauge(string name, string description, Func<UnixSocketMeasurements, Measurement<long>[]> read, string? unit = null)
        => _meter.CreateObservableGauge<long>(name, () => Current() is { } s ? read(s.Measurements) : Array.Empty<Measurement<long>>(), unit, description);

    private Snapshot? Current()
    {
        if (t_collecting is { } s)
        {
            return s;
        }
        try
        {
            return _source.GetAsync().GetAwaiter().GetResult();
        }
        catch (SnapshotFailedException)
        {
            return null; // logged by the source; this export has nothing to report
        }
    }

    private static (string Version, string Commit) BuildVersion()
    {
        string info = typeof(SockPeerInstruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (info, "unknown") : (info[..plus], info[(plus + 1)..]);
    }

    public void Dispose() => _meter.Dispose();
}
