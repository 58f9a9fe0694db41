using System.Diagnostics;
using System.Reflection;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using SockPeer.Events;

namespace SockPeer.Otlp;

/// <summary>
/// Sends socket events to an OpenTelemetry Collector as log records (OTLP's logs signal), one record
/// per event: the event's time as the record's time, its kind (<c>connect</c>, <c>close</c>, ...) as the
/// body, severity WARN for warnings and for a backlog that went full (INFO otherwise), and the fields of
/// its watch JSON line as attributes (<see cref="EventAttributes"/>). The logger is ILogger with
/// OpenTelemetry's logger provider and OTLP exporter, category (instrumentation scope) <c>SockPeer.Events</c>.
/// <para>
/// <see cref="Export"/> never blocks: it puts the event in a bounded queue, or counts it as dropped
/// when the queue is full. One thread turns queued events into records and hands them to the SDK's
/// batch processor, never more than that processor's own queue holds (so the SDK never drops one
/// unseen); every export request's result is counted (<see cref="Counts"/>) and each failure is
/// passed to <see cref="OtlpEventExportOptions.ExportFailed"/>. Nothing is lost without being counted.
/// </para>
/// </summary>
public sealed class OtlpEventExporter : IDisposable
{
    /// <summary>The logger category: the records' instrumentation scope name.</summary>
    public const string Category = "SockPeer.Events";

    private readonly OtlpEventExportOptions _options;
    private readonly Channel<SocketEvent> _queue;
    // Not disposed: an export finishing after Dispose still gives its room back (no wait handle is ever made).
    private readonly SemaphoreSlim _room;
    private readonly ILoggerFactory _factory;
    private readonly ILogger _logger;
    private readonly BatchLogRecordExportProcessor _batch;
    private readonly Thread _worker;
    private long _accepted;
    private long _dropped;
    private long _exported;
    private long _failed;
    private int _disposed;

    /// <summary>Starts the export thread; nothing is sent until an event is given.</summary>
    public OtlpEventExporter(OtlpEventExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1);
        bool grpc = options.Protocol switch
        {
            "grpc" => true,
            "http/protobuf" => false,
            _ => throw new ArgumentException($"OTLP protocol is http/protobuf or grpc, not '{options.Protocol}'", nameof(options)),
        };
        _options = options;
        _queue = Channel.CreateBounded<SocketEvent>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite says false when full: counted as dropped
            SingleReader = true,
        });
        // The SDK's queue drops what does not fit without telling: never give it more than it holds.
        int sdkQueue = options.MaxBatchSize * 4;
        _room = new SemaphoreSlim(sdkQueue, sdkQueue);
        var exporter = new OtlpLogExporter(new OtlpExporterOptions
        {
            Endpoint = OtlpEndpoint.ForSignal(options.Endpoint, grpc, "/v1/logs"),
            Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = (int)options.ExportTimeout.TotalMilliseconds,
        });
        _batch = new BatchLogRecordExportProcessor(
            new CountingExporter(exporter, Exported),
            maxQueueSize: sdkQueue,
            scheduledDelayMilliseconds: (int)Math.Max(1, options.ExportInterval.TotalMilliseconds),
            exporterTimeoutMilliseconds: (int)options.ExportTimeout.TotalMilliseconds,
            maxExportBatchSize: options.MaxBatchSize);
        var resource = ResourceBuilder.CreateDefault()
            .AddService(options.ServiceName, serviceVersion: Version())
            .AddAttributes([new("host.name", Environment.MachineName)]);
        _factory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddOpenTelemetry(o =>
            {
                o.SetResourceBuilder(resource);
                o.IncludeScopes = false;
                o.IncludeFormattedMessage = false;
                o.ParseStateValues = false; // the state list is the attribute list (EventTimestampProcessor reads it)
                o.AddProcessor(new EventTimestampProcessor());
                o.AddProcessor(_batch);
            }));
        _logger = _factory.CreateLogger(Category);
        _worker = new Thread(Run) { IsBackground = true, Name = "sockpeer-otlp" };
        _worker.Start();
    }

    /// <summary>
    /// Queues one event for export; never blocks. False when the queue is full or the exporter is
    /// disposed: the event is counted as dropped.
    /// </summary>
    public bool Export(SocketEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_queue.Writer.TryWrite(e))
        {
            Interlocked.Increment(ref _accepted);
            return true;
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>The counts so far.</summary>
    public OtlpExportCounts Counts
    {
        get
        {
            // Read the outcomes before the acceptances: Pending is then never negative.
            long exported = Interlocked.Read(ref _exported), failed = Interlocked.Read(ref _failed);
            return new(Interlocked.Read(ref _accepted), Interlocked.Read(ref _dropped), exported, failed);
        }
    }

    /// <summary>
    /// Sends what is queued now and waits for the results, at most <paramref name="timeout"/>. True
    /// when nothing accepted is pending any more (exported or failed, see <see cref="Counts"/>).
    /// </summary>
    public bool Flush(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Counts.Pending > 0)
        {
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }
            if (_queue.Reader.Count > 0)
            {
                Thread.Sleep(5); // the export thread is still handing them over
                continue;
            }
            _batch.ForceFlush((int)Math.Clamp(left.TotalMilliseconds, 1, 1000));
        }
        return true;
    }

    /// <summary>
    /// Sends what is queued (waiting up to the export timeout), then stops; what could not be sent by
    /// then counts as failed (and is reported). <see cref="Counts"/> stays readable.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Writer.TryComplete();
        _worker.Join();
        Flush(_options.ExportTimeout + _options.ExportInterval);
        _factory.Dispose();
        long abandoned = Counts.Pending;
        if (abandoned > 0)
        {
            Interlocked.Add(ref _failed, abandoned);
            _options.ExportFailed?.Invoke(new OtlpExportFailure((int)abandoned, Counts));
        }
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var e))
            {
                _room.Wait();
                try
                {
                    Log(e);
                }
#pragma warning disable CA1031 // one event that cannot be written is counted as failed; the others go on
                catch (Exception)
#pragma warning restore CA1031
                {
                    Exported(1, false);
                }
            }
        }
    }

    private void Log(SocketEvent e)
    {
        var state = new EventRecordState(EventAttributes.Of(e), e.Time, e.Kind.ToText());
        var level = e.Kind == SocketEventKind.Warning || e.Backlog is { Full: true } ? LogLevel.Warning : LogLevel.Information;
        _logger.Log(level, default, state, null, static (s, _) => s.Body);
    }

    /// <summary>An export request's result (or an event that could not be written): counted, its room given back.</summary>
    private void Exported(int records, bool success)
    {
        if (success)
        {
            Interlocked.Add(ref _exported, records);
        }
        else
        {
            Interlocked.Add(ref _failed, records);
        }
        _room.Release(records);
        if (!success)
        {
            _options.ExportFailed?.Invoke(new OtlpExportFailure(records, Counts));
        }
    }

    private static string Version()
    {
        string info = typeof(OtlpEventExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? info : info[..plus];
    }
}
