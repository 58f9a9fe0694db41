using System.Collections;

namespace SockPeer.Otlp;

/// <summary>
/// The state an event is logged with: its attributes (<see cref="EventAttributes"/>) and its time,
/// which <see cref="EventTimestampProcessor"/> makes the record's timestamp (ILogger stamps a record
/// with the time it is logged; the event happened earlier).
/// </summary>
internal sealed class EventRecordState(List<KeyValuePair<string, object?>> attributes, DateTimeOffset time, string body)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    public DateTimeOffset Time { get; } = time;

    /// <summary>The record's body: the event's kind (<c>connect</c>, <c>warning</c>, ...).</summary>
    public string Body { get; } = body;

    public KeyValuePair<string, object?> this[int index] => attributes[index];

    public int Count => attributes.Count;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => attributes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Body;
}
