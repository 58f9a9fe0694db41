using System.Text;
using Microsoft.AspNetCore.Http;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Serve.Filters;
using SockPeer.Views;
using SockPeer.Serve.Metrics;
using SockPeer.Serve.Snapshots;

namespace SockPeer.Serve.Http;

/// <summary>
/// Every route of the server, in one table: GET and HEAD only (any other method is 405), exact
/// paths only (anything else is 404). No request value ever reaches a file path, a command or a
/// namespace path: the only inputs are /api/snapshot's filters, which select from a snapshot.
/// </summary>
internal sealed class Routes
{
    private readonly SnapshotSource _snapshots;
    private readonly PrometheusExposition _exposition;
    private readonly ServeOptions _options;
    private readonly Dictionary<string, RequestDelegate> _routes;

    public Routes(SnapshotSource snapshots, PrometheusExposition exposition, ServeOptions options)
    {
        _snapshots = snapshots;
        _exposition = exposition;
        _options = options;
        _routes = new(StringComparer.Ordinal)
        {
            ["/"] = IndexPage.Write,
            ["/metrics"] = Metrics,
            ["/api/snapshot"] = ApiSnapshot,
            ["/healthz"] = Healthz,
            ["/api/history"] = context => SockPeer.Serve.Journal.HistoryRoute.Write(context, options),
        };
    }

    /// <summary>The paths served, for the index page.</summary>
    public IEnumerable<string> Paths => _routes.Keys;

    /// <summary>Adds or replaces a route (the live graph page replaces "/").</summary>
    public void Map(string path, RequestDelegate handler) => _routes[path] = handler;

    public Task Dispatch(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return Plain(context, StatusCodes.Status405MethodNotAllowed, "only GET and HEAD");
        }
        if (!_routes.TryGetValue(request.Path.Value ?? "/", out var handler))
        {
            return Plain(context, StatusCodes.Status404NotFound, "not found: see /");
        }
        return handler(context);
    }

    private async Task Metrics(HttpContext context)
    {
        if (await TrySnapshot(context) is not { } snapshot)
        {
            return;
        }
        bool openMetrics = PrometheusExposition.WantsOpenMetrics(context.Request.Headers.Accept);
        byte[] body = _exposition.Render(snapshot, openMetrics);
        context.Response.ContentType = openMetrics ? PrometheusExposition.OpenMetricsContentType : PrometheusExposition.TextContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task ApiSnapshot(HttpContext context)
    {
        SocketFilter filter;
        try
        {
            filter = ListFilter.With(_options.Filter, context.Request.Query);
        }
        catch (FilterException e)
        {
            await Plain(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        if (await TrySnapshot(context) is not { } snapshot)
        {
            return;
        }
        var inventory = snapshot.Inventory;
        var (sockets, processes) = ListFilter.Apply(inventory, filter);
        if (!_options.ExposeCmdline)
        {
            processes = [.. processes.Select(p => p.CommandLine.Count == 0 ? p : p with { CommandLine = [] })];
        }
        context.Response.ContentType = "application/json";
        // The writer is synchronous (shared with the command line): write to memory, then send.
        using var buffer = new MemoryStream();
        SchemaJsonWriter.WriteList(buffer, inventory, sockets, processes);
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    private Task Healthz(HttpContext context) => _snapshots.Last is null
        ? Plain(context, StatusCodes.Status503ServiceUnavailable, "no snapshot has succeeded yet")
        : Plain(context, StatusCodes.Status200OK, "ok");

    private async Task<Snapshot?> TrySnapshot(HttpContext context)
    {
        try
        {
            return await _snapshots.GetAsync();
        }
        catch (SnapshotFailedException e)
        {
            await Plain(context, StatusCodes.Status503ServiceUnavailable, $"snapshot failed: {e.Message}");
            return null;
        }
    }

    /// <summary>A one-line plain-text answer.</summary>
    public static Task Plain(HttpContext context, int status, string line)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }
}
