namespace SockPeer.Journal;

/// <summary>One line of <c>history --summary</c>: a path and one kind of client of it.</summary>
internal sealed record SummaryRow(string Path, string Client, string? User, string? Container, int Connections, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, TimeSpan? Longest, TimeSpan? Median);

/// <summary>
/// The "top talkers": per path, who connected (client command, user, container), how many times (connect
/// events), first and last seen, longest and median duration (close events' observed time). Connections
/// come from the indexed columns of events that passed the filters.
/// </summary>
internal static class HistorySummary
{
    public static IReadOnlyList<SummaryRow> Of(IEnumerable<StoredEvent> events)
    {
        var groups = new Dictionary<(string, string, string?, string?), (int Count, long First, long Last, List<long> Durations)>();
        foreach (var e in events)
        {
            if (e.Path is null || e.Kind is not ("connect" or "close"))
            {
                continue;
            }
            var key = (e.Path, e.ClientCommand ?? "?", e.ClientUser ?? e.ClientUid?.ToString(System.Globalization.CultureInfo.InvariantCulture), e.ClientContainer);
            if (!groups.TryGetValue(key, out var g))
            {
                g = (0, e.TimeNs, e.TimeNs, []);
            }
            g.First = Math.Min(g.First, e.TimeNs);
            g.Last = Math.Max(g.Last, e.TimeNs);
            if (e.Kind == "connect")
            {
                g.Count++;
            }
            else if (e.DurationNs is long d)
            {
                g.Durations.Add(d);
            }
            groups[key] = g;
        }
        return [.. groups
            .Select(p =>
            {
                var d = p.Value.Durations;
                d.Sort();
                return new SummaryRow(p.Key.Item1, p.Key.Item2, p.Key.Item3, p.Key.Item4, p.Value.Count, EventRow.FromNs(p.Value.First), EventRow.FromNs(p.Value.Last),
                    d.Count > 0 ? TimeSpan.FromTicks(d[^1] / 100) : null,
                    d.Count > 0 ? TimeSpan.FromTicks((d.Count % 2 == 1 ? d[d.Count / 2] : (d[d.Count / 2 - 1] + d[d.Count / 2]) / 2) / 100) : null);
            })
            .OrderBy(r => r.Path, StringComparer.Ordinal).ThenByDescending(r => r.Connections).ThenBy(r => r.Client, StringComparer.Ordinal)];
    }
}
