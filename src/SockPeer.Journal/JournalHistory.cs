using SockPeer.Events;
using SockPeer.Json;

namespace SockPeer.Journal;

/// <summary>
/// What <c>history</c> and serve's <c>/api/history</c> print: the stored events of a query that pass
/// list's filters. The SQL prefilter (time, kinds, the path's literal prefix) narrows the rows; each
/// remaining line is read back (<see cref="SocketEventJsonReader"/>) only when a filter needs the event.
/// </summary>
internal static class JournalHistory
{
    public static IEnumerable<(StoredEvent Stored, SocketEvent? Event)> Read(JournalReader journal, HistoryQuery query, SocketEventFilter filter)
    {
        foreach (var row in journal.Read(query))
        {
            if (filter.Filter.IsEmpty)
            {
                yield return (row, null);
                continue;
            }
            var e = Parse(row);
            if (filter.Matches(e))
            {
                yield return (row, e);
            }
        }
    }

    /// <summary>
    /// The watch line of a stored event, as <c>watch --json</c> printed it (without the newline): the
    /// journal keeps the compact form (schema version 2 on), which <paramref name="parsed"/> (or the line
    /// read now) writes out in full. A line stored in full by an older recorder comes out unchanged.
    /// </summary>
    public static byte[] Line(StoredEvent row, SocketEvent? parsed)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(row.Json.Length * 2 + 64);
        SocketEventJsonWriter.WriteLine(buffer, parsed ?? Parse(row));
        return buffer.WrittenSpan[..^1].ToArray();
    }

    /// <summary>The stored line as an event; a line that is not one is a <see cref="JournalException"/>.</summary>
    public static SocketEvent Parse(StoredEvent row)
        => SocketEventJsonReader.TryRead(row.Json, out var e, out string? error) ? e!
            : throw new JournalException($"the journal holds a line that is not a watch event ({error}): {System.Text.Encoding.UTF8.GetString(row.Json.AsSpan(0, Math.Min(row.Json.Length, 120)))}");

    /// <summary>The words of <c>--event</c> (comma-separated); false, with the sentence, for an unknown one.</summary>
    public static bool TryParseKinds(string text, out string[] kinds, out string? error)
    {
        var known = Enum.GetValues<SocketEventKind>().Select(k => k.ToText()).ToList();
        kinds = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(k => k.ToLowerInvariant()).ToArray();
        error = kinds.Length == 0 ? "--event needs at least one event" : null;
        foreach (string k in kinds)
        {
            if (!known.Contains(k))
            {
                error = $"unknown event '{SockPeer.Model.SocketName.Escape(k.Length > 40 ? k[..40] : k)}' (known: {string.Join(", ", known)})";
            }
        }
        return error is null;
    }

    /// <summary>The SQL prefilter for a filter and a window.</summary>
    public static HistoryQuery Query(SocketEventFilter filter, DateTimeOffset? since, DateTimeOffset? until, IReadOnlyCollection<string> kinds)
        => new(since, until, kinds, HistoryQuery.PrefixOf(filter.Filter.Name?.Pattern))
        {
            PathIsExact = filter.Filter.Name?.Pattern is { } glob && HistoryQuery.PrefixOf(glob) == glob,
        };
}
