using System.Text;
using Microsoft.AspNetCore.Http;

namespace SockPeer.Serve.Http;

/// <summary>
/// GET /: a small page linking to the others. The live graph replaces this route (one entry in
/// <see cref="Routes"/>' table).
/// </summary>
internal static class IndexPage
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>sockpeer</title></head>
        <body>
        <h1>sockpeer</h1>
        <p>Who is on the other end of each Unix socket on this host.</p>
        <ul>
        <li><a href="metrics">/metrics</a>: Prometheus metrics (OpenMetrics when asked in Accept)</li>
        <li><a href="api/snapshot">/api/snapshot</a>: <code>sockpeer list --json</code>'s document; filters as query parameters: pid, path, type, state, user</li>
        <li><a href="healthz">/healthz</a>: ok once a snapshot has succeeded</li>
        </ul>
        </body></html>

        """);

    public static Task Write(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = Body.Length;
        return context.Response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
    }
}
