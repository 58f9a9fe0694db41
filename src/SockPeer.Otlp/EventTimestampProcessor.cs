using OpenTelemetry;
using OpenTelemetry.Logs;

namespace SockPeer.Otlp;

/// <summary>
/// Sets a record's timestamp to its event's time, before the batch processor queues it. The record's
/// observed timestamp stays the time it was logged, which is what OTLP's observed_time_unix_nano means.
/// </summary>
internal sealed class EventTimestampProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        // With ParseStateValues off, a state that is a list of attributes is the record's attribute list itself.
        if (data.Attributes is EventRecordState state)
        {
            data.Timestamp = state.Time.UtcDateTime;
        }
    }
}
