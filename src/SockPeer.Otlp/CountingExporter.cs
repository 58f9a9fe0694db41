using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace SockPeer.Otlp;

/// <summary>
/// Wraps the OTLP log exporter to learn each export's result, which the SDK's batch processor drops:
/// records in a successful request are counted as exported, the others as failed, and the owner is
/// told of each failure. Also where the queue's room is given back (<paramref name="exported"/>).
/// </summary>
internal sealed class CountingExporter(BaseExporter<LogRecord> inner, Action<int, bool> exported) : BaseExporter<LogRecord>
{
    public override ExportResult Export(in Batch<LogRecord> batch)
    {
        // The OTLP exporter reads the resource (service.name, host.name) from its provider, which the
        // SDK gives only to the exporter a processor holds: this one. Hand it on, as the SDK's own
        // processors do, before the first request (the exporter keeps the resource it first reads).
        var result = ExportResult.Failure;
        try
        {
            if (inner.ParentProvider is null && ParentProvider is { } provider)
            {
                ParentOf<LogRecord>.Set(inner, provider);
            }
            result = inner.Export(batch);
        }
#pragma warning disable CA1031 // the batch processor's thread must go on; the failure is counted and reported
        catch (Exception)
#pragma warning restore CA1031
        {
            result = ExportResult.Failure;
        }
        finally
        {
            exported((int)batch.Count, result == ExportResult.Success);
        }
        return result;
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => inner.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// <see cref="BaseExporter{T}.ParentProvider"/>'s setter is internal to the SDK. An accessor, not
    /// reflection: resolved when compiled (NativeAOT included); if a later SDK renames it, the first
    /// export throws MissingMethodException and fails, which the tests see (they check the resource).
    /// </summary>
    private static class ParentOf<T>
        where T : class
    {
        [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_ParentProvider")]
        public static extern void Set(BaseExporter<T> exporter, BaseProvider? provider);
    }
}
