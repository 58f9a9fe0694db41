using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Playwright;
using SockPeer.Tests.Cli;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>
/// The live graph page in a real browser: Debian's headless chromium (never a downloaded one),
/// driven by Playwright, loads "/" from a running `sockpeer serve` while the demo's scene runs and
/// a process named "&lt;img src=x&gt;" is connected to the demo's server. The page must show the
/// demo's processes as nodes with their edge, highlight a search match, show a clicked node's
/// sockets, fds and pids, and render the HTML-like name as text. A screenshot is kept in artifacts/.
/// </summary>
public sealed class GraphPageBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string HtmlName = "<img src=x>";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private readonly DemoScene _demo = new();
    private readonly SocketScene _evil;
    private readonly int _evilPid;
    private readonly Process _serve;
    private readonly int _port;

    public GraphPageBrowserTests()
    {
        // A client of the demo's server whose command name (comm, at most 15 bytes) is markup.
        _evil = SocketScene.Build().Named(HtmlName).ConnectTo("evil", _demo.SocketPath).Start();
        _evilPid = _evil.Pid;
        Assert.Equal(HtmlName, File.ReadAllText($"/proc/{_evilPid}/comm").TrimEnd('\n'));

        _port = FreeLoopbackPort();
        var serve = new ProcessStartInfo(SockpeerCli.Path) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "serve", "--listen", $"127.0.0.1:{_port}", "--min-interval", "500ms" })
        {
            serve.ArgumentList.Add(a);
        }
        _serve = Process.Start(serve)!;
        _serve.ErrorDataReceived += (_, _) => { };
        _serve.BeginErrorReadLine();
        WaitHealthy();
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private void WaitHealthy()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_serve.HasExited, $"sockpeer serve exited with {(_serve.HasExited ? _serve.ExitCode : 0)}");
            try
            {
                if (http.GetAsync(new Uri($"http://127.0.0.1:{_port}/healthz")).Result.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (AggregateException)
            {
            }
            Thread.Sleep(100);
        }
        Assert.Fail("sockpeer serve did not become healthy");
    }

    [Fact]
    public async Task The_page_draws_the_demo_highlights_a_search_and_shows_an_html_name_as_text()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (.ci/run installs it)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var problems = new List<string>();
        page.Dialog += (_, d) => problems.Add($"dialog: {d.Message}");
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                problems.Add($"console {m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url}");
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith($"http://127.0.0.1:{_port}/", StringComparison.Ordinal))
            {
                problems.Add($"request off the server: {r.Url}");
            }
        };

        await page.GotoAsync($"http://127.0.0.1:{_port}/?path={Uri.EscapeDataString(_demo.SocketPath)}");

        // Three edges: the client and its reader to the first handler, the HTML-named client to its own handler.
        string client = $"p/{_demo.ClientPid}", handler = $"p/{_demo.HandlerPid}", server = $"p/{_demo.ServerPid}", evil = $"p/{_evilPid}";
        await page.WaitForFunctionAsync(
            "ids => { const s = window.sockpeer; if (!s || s.state.refreshes < 1) return false; " +
            "return ids.every(id => s.cy.getElementById(id).nonempty()) && s.cy.edges().length >= 3 && s.cy.getElementById(ids[3]).degree() > 0; }",
            new[] { client, handler, server, evil }, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds, PollingInterval = 200 });

        var edges = await page.EvaluateAsync<JsonElement>("() => window.sockpeer.cy.edges().map(e => ({ from: e.source().id(), to: e.target().id(), kind: e.data('kind') }))");
        Assert.Contains(edges.EnumerateArray(), e => e.GetProperty("from").GetString() == client && e.GetProperty("to").GetString() == handler
            && e.GetProperty("kind").GetString() == "connection");
        Assert.Contains(edges.EnumerateArray(), e => e.GetProperty("from").GetString() == $"p/{_demo.ReaderPid}" && e.GetProperty("to").GetString() == handler);

        // The search box highlights the HTML-named process, and only it.
        await page.FillAsync("#search", "<img");
        var matched = await page.EvaluateAsync<string[]>("() => window.sockpeer.cy.$('node.match').map(n => n.id())");
        Assert.Equal([evil], matched);

        // A click on its node shows its name as text, with its pid and fd.
        var at = await page.EvaluateAsync<JsonElement>(
            "id => { const s = window.sockpeer; const p = s.cy.getElementById(id).renderedPosition(); const r = s.cy.container().getBoundingClientRect(); return { x: r.left + p.x, y: r.top + p.y }; }", evil);
        await page.Mouse.ClickAsync(at.GetProperty("x").GetSingle(), at.GetProperty("y").GetSingle());
        await page.WaitForFunctionAsync("id => window.sockpeer.state.selected === id", evil, new PageWaitForFunctionOptions { Timeout = 10_000 });
        Assert.Equal($"{HtmlName}[{_evilPid}]", await page.TextContentAsync("#details h2"));
        string detailText = await page.TextContentAsync("#details table") ?? "";
        Assert.Contains(_evilPid.ToString(System.Globalization.CultureInfo.InvariantCulture), detailText);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.querySelectorAll('img').length"));

        // A tap on the client's edge lists both ends' pid:fd (the edge carries the socket the client shares with its reader).
        // Emitted through Cytoscape rather than clicked: an edge's midpoint may lie under a label or another edge.
        await page.FillAsync("#search", "");
        string edgeId = await page.EvaluateAsync<string>(
            "ids => { const e = window.sockpeer.cy.edges().filter(e => e.source().id() === ids[0] && e.target().id() === ids[1])[0]; e.emit('tap'); return e.id(); }",
            new[] { client, handler });
        await page.WaitForFunctionAsync("id => window.sockpeer.state.selected === id", edgeId, new PageWaitForFunctionOptions { Timeout = 10_000 });
        Assert.Equal(_demo.SocketPath, await page.TextContentAsync("#details h2"));
        Assert.Contains($"{_demo.ClientPid}:{_demo.ClientFd}", await page.TextContentAsync("#details table") ?? "");

        string screenshot = Path.Combine(SockpeerCli.RepoRoot, "artifacts", "graph-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "screenshot too small to show the graph");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Api_graph_answers_the_graph_document_checks_its_parameters_and_the_assets_come_from_the_binary()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}/"), Timeout = TimeSpan.FromSeconds(30) };
        var response = await http.GetAsync(new Uri($"api/graph?group=process&path={Uri.EscapeDataString(_demo.SocketPath)}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string json = await response.Content.ReadAsStringAsync();
        SockPeer.Tests.Json.SchemaAssert.Valid(json, "graph");
        using (var doc = JsonDocument.Parse(json))
        {
            var ids = doc.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).ToList();
            Assert.Contains($"p/{_demo.ServerPid}", ids);
            Assert.Contains($"p/{_demo.ClientPid}", ids);
            Assert.Contains($"{HtmlName}[{_evilPid}]", doc.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("label").GetString()));
        }

        foreach (var bad in new[] { "api/graph?group=pod", "api/graph?pid=x", "api/graph?colour=red", "api/graph?path=a&path=b" })
        {
            var r = await http.GetAsync(new Uri(bad, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            string body = await r.Content.ReadAsStringAsync();
            Assert.True(body.EndsWith('\n') && body.IndexOf('\n', StringComparison.Ordinal) == body.Length - 1, $"{bad}: [{body}]");
        }

        var index = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.StartsWith("text/html", index.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", string.Join(";", index.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        // Every vendored script and licence is served as it is in the sources (and the page loads every script).
        string vendor = Path.Combine(SockpeerCli.RepoRoot, "src", "SockPeer.Serve", "Web", "vendor");
        string page = await index.Content.ReadAsStringAsync();
        foreach (string file in Directory.GetFiles(vendor).Where(f => f.EndsWith(".js", StringComparison.Ordinal) || f.EndsWith(".LICENSE", StringComparison.Ordinal)))
        {
            string name = Path.GetFileName(file);
            Assert.Equal(await File.ReadAllBytesAsync(file), await http.GetByteArrayAsync(new Uri($"vendor/{name}", UriKind.Relative)));
            if (name.EndsWith(".js", StringComparison.Ordinal))
            {
                Assert.Contains($"src=\"vendor/{name}\"", page, StringComparison.Ordinal);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _serve.Kill();
            _serve.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
        }
        _serve.Dispose();
        _evil.Dispose();
        _demo.Dispose();
    }
}
