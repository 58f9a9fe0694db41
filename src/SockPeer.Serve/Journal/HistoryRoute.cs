using Microsoft.AspNetCore.Http;
using SockPeer.Events;
using SockPeer.Journal;
using SockPeer.Serve.Filters;
using SockPeer.Serve.Http;

namespace SockPeer.Serve.Journal;

/// <summary>
/// <c>/api/history</c>: what <c>sockpeer history --json</c> prints, from the journal <c>--record</c>
/// keeps: <c>since</c>, <c>until</c> (the same forms) and <c>event</c>, plus list's filters validated as
/// /api/snapshot's are. JSON Lines (the stored watch lines, schema 1). 404 without --record; 400 for a
/// bad value, with one line.
/// </summary>
internal static class HistoryRoute
{
    private const int MaxLines = 100_000;

    public static async Task Write(HttpContext context, ServeOptions options)
    {
        if (options.RecordFile is not { } path)
        {
            await Routes.Plain(context, StatusCodes.Status404NotFound, "not recording: start serve with --record FILE");
            return;
        }
        var query = context.Request.Query;
        SocketEventFilter filter;
        DateTimeOffset? since, until;
        string[] kinds = [];
        try
        {
            filter = new SocketEventFilter(ListFilter.With(options.Filter, query.Where(p => p.Key is not ("since" or "until" or "event"))));
            var now = DateTimeOffset.UtcNow;
            since = Time(query, "since", now);
            until = Time(query, "until", now);
            if (query.TryGetValue("event", out var e))
            {
                if (e.Count != 1)
                {
                    throw new FilterException("give event once");
                }
                if (!JournalHistory.TryParseKinds(e[0] ?? "", out kinds, out string? error))
                {
                    throw new FilterException($"event: {error}");
                }
            }
        }
        catch (FilterException e)
        {
            await Routes.Plain(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        // The reader is synchronous: read into memory (bounded), then send.
        using var buffer = new MemoryStream();
        try
        {
            using var journal = JournalReader.Open(path);
            int lines = 0;
            foreach (var (stored, parsed) in JournalHistory.Read(journal, JournalHistory.Query(filter, since, until, kinds), filter))
            {
                buffer.Write(JournalHistory.Line(stored, parsed));
                buffer.WriteByte((byte)'\n');
                if (++lines >= MaxLines)
                {
                    break;
                }
            }
        }
        catch (JournalException e)
        {
            await Routes.Plain(context, StatusCodes.Status503ServiceUnavailable, e.Message);
            return;
        }
        context.Response.ContentType = "application/jsonl; charset=utf-8";
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    private static DateTimeOffset? Time(IQueryCollection query, string name, DateTimeOffset now)
    {
        if (!query.TryGetValue(name, out var v))
        {
            return null;
        }
        string text = v.Count == 1 ? v[0] ?? "" : throw new FilterException($"give {name} once");
        return HistoryTime.TryParse(text, now, TimeZoneInfo.Local, out var t) ? t
            : throw new FilterException($"{name}: not a time: RFC 3339, HH:MM[:SS], or relative (-2h, -30m)");
    }
}
