using System.Net;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>
/// `sockpeer-serve --record FILE`: the server records as `sockpeer record` does, and `/api/history` answers
/// with the same lines `sockpeer history --json` prints from that journal; bad values are 400 with one line.
/// </summary>
public sealed class ServeHistoryTests
{
    [Fact]
    public async Task Serve_records_and_api_history_answers_what_history_prints()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        string db = Path.Combine(server.Dir, "journal.db");
        using var serve = ServeProcess.Start(["--record", db, "--source", "poll", "--path", server.Dir + "/*"]);
        using var http = serve.Client();
        serve.WaitHealthy(http);
        server.Listen();
        uint c = client.Connect().Inode;
        server.Accept();

        string body = "";
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!body.Contains($"\"inode\":{c},", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, $"/api/history never had #{c}: {body}");
            await Task.Delay(200);
            body = await http.GetStringAsync(new Uri(serve.BaseUri, "/api/history?event=connect,pending,accept"));
        }
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var l in lines)
        {
            SchemaAssert.Valid(l, "watchEvent");
        }
        // The same lines as the command line's history over the same journal and query.
        var cli = JournalCliTests.History(db, "--event", "connect,pending,accept");
        Assert.Equal(lines, cli.Take(lines.Length));

        foreach (string bad in (string[])["/api/history?since=soon", "/api/history?event=teleport", "/api/history?pid=abc", "/api/history?until=1&until=2"])
        {
            var r = await http.GetAsync(new Uri(serve.BaseUri, bad));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Single((await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public async Task Api_history_without_record_is_404()
    {
        using var serve = ServeProcess.Start(["--source", "poll"]);
        using var http = serve.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(serve.BaseUri, "/api/history"))).StatusCode);
    }
}
