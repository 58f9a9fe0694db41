using System.Reflection;
using Microsoft.AspNetCore.Http;
using SockPeer.Graph;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Serve.Filters;
using SockPeer.Views;
using SockPeer.Serve.Http;
using SockPeer.Serve.Snapshots;

namespace SockPeer.Serve.Web;

/// <summary>
/// The live graph: GET / (the page), its script, style sheet and the vendored Cytoscape.js with its
/// fCoSE layout (and fCoSE's layout-base and cose-base), all
/// embedded in the executable (an offline host needs nothing else), and GET /api/graph, the graph
/// document (docs/schema.md) of the last snapshot with list's filters and <c>group</c> as query
/// parameters. Every response carries a Content-Security-Policy that allows only this server's own
/// scripts and styles, so even a name that slipped into the page as markup could not run.
/// </summary>
internal static class GraphPage
{
    // The hash is of the one rule Cytoscape.js 3.35.0 injects (its container's position); update it with the library.
    private const string Csp = "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>URL path, content type and embedded resource name of each asset.</summary>
    private static readonly (string Path, string ContentType, string Resource)[] Assets =
    [
        ("/", "text/html; charset=utf-8", "web/index.html"),
        ("/graph.js", "text/javascript; charset=utf-8", "web/graph.js"),
        ("/graph.css", "text/css; charset=utf-8", "web/graph.css"),
        ("/vendor/cytoscape.min.js", "text/javascript; charset=utf-8", "web/vendor/cytoscape.min.js"),
        ("/vendor/cytoscape.LICENSE", "text/plain; charset=utf-8", "web/vendor/cytoscape.LICENSE"),
        ("/vendor/layout-base.js", "text/javascript; charset=utf-8", "web/vendor/layout-base.js"),
        ("/vendor/layout-base.LICENSE", "text/plain; charset=utf-8", "web/vendor/layout-base.LICENSE"),
        ("/vendor/cose-base.js", "text/javascript; charset=utf-8", "web/vendor/cose-base.js"),
        ("/vendor/cose-base.LICENSE", "text/plain; charset=utf-8", "web/vendor/cose-base.LICENSE"),
        ("/vendor/cytoscape-fcose.js", "text/javascript; charset=utf-8", "web/vendor/cytoscape-fcose.js"),
        ("/vendor/cytoscape-fcose.LICENSE", "text/plain; charset=utf-8", "web/vendor/cytoscape-fcose.LICENSE"),
    ];

    /// <summary>Adds the page's routes to the server's table (replacing the plain index at /).</summary>
    public static void MapTo(Routes endpoints, SnapshotSource snapshots, SocketFilter defaultFilter)
    {
        foreach (var (path, contentType, resource) in Assets)
        {
            byte[] body = Load(resource);
            endpoints.Map(path, context => WriteAsset(context, contentType, body));
        }
        endpoints.Map("/api/graph", context => ApiGraph(context, snapshots, defaultFilter));
    }

    private static byte[] Load(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the web asset {resource} is not embedded in sockpeer-serve");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static void SecurityHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Csp;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
    }

    private static Task WriteAsset(HttpContext context, string contentType, byte[] body)
    {
        SecurityHeaders(context);
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static async Task ApiGraph(HttpContext context, SnapshotSource snapshots, SocketFilter filter)
    {
        SecurityHeaders(context);
        var grouping = GraphGrouping.Process;
        try
        {
            if (context.Request.Query.TryGetValue("group", out var group))
            {
                if (group.Count != 1)
                {
                    throw new FilterException("give group once");
                }
                if (!GraphText.TryParseGrouping(group[0] ?? "", out grouping))
                {
                    throw new FilterException("group takes process, command, container or unit");
                }
            }
            filter = ListFilter.With(filter, context.Request.Query.Where(q => q.Key != "group"));
        }
        catch (FilterException e)
        {
            await Routes.Plain(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        Snapshot snapshot;
        try
        {
            snapshot = await snapshots.GetAsync();
        }
        catch (SnapshotFailedException e)
        {
            await Routes.Plain(context, StatusCodes.Status503ServiceUnavailable, $"snapshot failed: {e.Message}");
            return;
        }
        var inventory = snapshot.Inventory;
        var chosen = filter;
        var graph = SocketGraphBuilder.Build(inventory, new GraphOptions
        {
            Grouping = grouping,
            Include = chosen.IsEmpty ? null : s => chosen.Matches(inventory, s),
        });
        context.Response.ContentType = "application/json";
        // The writer is synchronous (shared with the command line): write to memory, then send.
        using var buffer = new MemoryStream();
        GraphJsonWriter.Write(buffer, graph);
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
