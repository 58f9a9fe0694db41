namespace SockPeer.Otlp;

/// <summary>Where and how <see cref="OtlpEventExporter"/> sends the events' log records.</summary>
public sealed record OtlpEventExportOptions
{
    /// <summary>
    /// The collector: a base URL (<c>http://127.0.0.1:4318</c>) gets the logs signal's path
    /// <c>/v1/logs</c> for http/protobuf, as OTEL_EXPORTER_OTLP_ENDPOINT does; a URL with a path is used as it is.
    /// For grpc, the collector's gRPC address (<c>http://127.0.0.1:4317</c>).
    /// </summary>
    public required Uri Endpoint { get; init; }

    /// <summary><c>http/protobuf</c> (the default) or <c>grpc</c>, as serve's <c>--otlp-protocol</c>.</summary>
    public string Protocol { get; init; } = "http/protobuf";

    /// <summary>Events waiting to be handed to the exporter; an event that finds it full is dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 16384;

    /// <summary>Log records per export request at most.</summary>
    public int MaxBatchSize { get; init; } = 512;

    /// <summary>How long a record waits for a batch to fill before the batch is sent anyway.</summary>
    public TimeSpan ExportInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one export request may take before it counts as failed.</summary>
    public TimeSpan ExportTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The resource's <c>service.name</c>; <c>host.name</c> and <c>service.version</c> are added
    /// from the machine and the build.
    /// </summary>
    public string ServiceName { get; init; } = "sockpeer";

    /// <summary>
    /// Called on the export thread after each export request that failed (the collector refused it,
    /// did not answer in time, or could not be reached), with the records it held and the totals so
    /// far; the caller says so (one line, rate-limited as it likes). Never called for a success.
    /// </summary>
    public Action<OtlpExportFailure>? ExportFailed { get; init; }
}

/// <summary>What happened to the events given to an <see cref="OtlpEventExporter"/> so far.</summary>
/// <param name="Accepted">Events taken into the queue.</param>
/// <param name="Dropped">Events refused because the queue was full (the collector too slow or unreachable for too long).</param>
/// <param name="Exported">Log records the collector accepted.</param>
/// <param name="Failed">Log records in export requests that failed: lost.</param>
public readonly record struct OtlpExportCounts(long Accepted, long Dropped, long Exported, long Failed)
{
    /// <summary>Accepted events neither exported nor failed yet: in the queue or in a request under way.</summary>
    public long Pending => Accepted - Exported - Failed;

    /// <summary>Events that will never reach the collector: dropped or failed.</summary>
    public long Lost => Dropped + Failed;
}

/// <summary>One failed export request.</summary>
/// <param name="Records">The log records it held, now lost.</param>
/// <param name="Totals">The counts after it.</param>
public sealed record OtlpExportFailure(int Records, OtlpExportCounts Totals);
