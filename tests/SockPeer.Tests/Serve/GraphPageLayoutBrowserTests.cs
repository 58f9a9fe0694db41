using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using SockPeer.Tests.Cli;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>
/// The live page's layout on a crowded host (issue 23, point 2): a server process with three
/// listeners and 40 client processes, one process each (20 named "php-fpm", 12 "nginx", 8
/// "worker"), drawn in Debian's headless chromium at 1400x900. Every process the scene made must be
/// a node of the page, every node's rendered box (label included) must lie inside the graph's area
/// and the viewport, no two nodes' boxes may overlap (a group's box holds its own members, and
/// nothing else), and labels must be drawn at a readable size. The same for the filtered view
/// (`/?path=` one listener), which shows the workers of one command. Screenshots go to
/// artifacts/graph-page-layout-full.png and artifacts/graph-page-layout-filtered.png.
/// </summary>
public sealed class GraphPageLayoutBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Width = 1400;
    private const int Height = 900;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly SocketScene _scene;
    private readonly ServeProcess _serve;

    public GraphPageLayoutBrowserTests()
    {
        _scene = SocketScene.Build()
            .Named("layout-server")
            .Listen("web", backlog: 64)
            .Listen("db", backlog: 64)
            .Listen("cache", backlog: 64)
            .Connect("web", clients: 20, heldBy: Holder.ChildEach, accept: 20, comm: "php-fpm")
            .Connect("db", clients: 12, heldBy: Holder.ChildEach, accept: 12, comm: "nginx")
            .Connect("cache", clients: 8, heldBy: Holder.ChildEach, accept: 8, comm: "worker")
            .Start();
        _serve = ServeProcess.Start(["--min-interval", "500ms"], viaSockpeer: true);
        using var http = _serve.Client();
        _serve.WaitHealthy(http);
    }

    /// <summary>Ground truth: the scene's own process and the client processes it forked for <paramref name="listeners"/>.</summary>
    private string[] ProcessNodes(params string[] listeners)
        => [.. listeners.SelectMany(l => _scene.Connections(l).Select(c => c.Client.Pid))
            .Append(_scene.Pid).Distinct().Order().Select(p => $"p/{p}")];

    [Fact]
    public async Task Forty_client_processes_are_all_in_view_and_no_two_nodes_overlap()
    {
        string[] expected = ProcessNodes("web", "db", "cache");
        Assert.Equal(41, expected.Length);
        await Check($"?path={Uri.EscapeDataString(Path.Combine(_scene.Dir, "*"))}", expected, "graph-page-layout-full.png");
    }

    [Fact]
    public async Task The_filtered_view_shows_every_worker_of_one_command()
    {
        string[] expected = ProcessNodes("web");
        Assert.Equal(21, expected.Length);
        await Check($"?path={Uri.EscapeDataString(Path.Combine(_scene.Dir, "web.sock"))}", expected, "graph-page-layout-filtered.png");
    }

    private async Task Check(string query, string[] expected, string screenshotName)
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (.ci/run installs it)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = Width, Height = Height } });
        var problems = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                problems.Add($"console {m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url}");

        await page.GotoAsync(new Uri(_serve.BaseUri, "/" + query).ToString());

        // Wait until the page has drawn every process of the scene (serve may need a snapshot or two).
        await page.WaitForFunctionAsync(
            "ids => { const s = window.sockpeer; if (!s || s.state.refreshes < 1) return false; " +
            "return ids.every(id => s.cy.getElementById(id).nonempty()); }",
            expected, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds, PollingInterval = 200 });
        // Then one more refresh: a steady host keeps its picture (and the test sees the settled one).
        const string Positions = "() => window.sockpeer.cy.nodes().map(n => n.id() + ' ' + Math.round(n.position('x')) + ' ' + Math.round(n.position('y'))).sort().join(',')";
        string before = await page.EvaluateAsync<string>(Positions);
        await page.EvaluateAsync("() => window.sockpeer.refresh ? window.sockpeer.refresh() : new Promise(r => setTimeout(r, 5500))");
        Assert.Equal(before, await page.EvaluateAsync<string>(Positions));

        var drawn = await page.EvaluateAsync<JsonElement>("""
            () => {
              const cy = window.sockpeer.cy;
              const area = cy.container().getBoundingClientRect();
              const box = n => { const b = n.renderedBoundingBox({ includeLabels: true, includeOverlays: false });
                return { id: n.id(), x1: area.left + b.x1, y1: area.top + b.y1, x2: area.left + b.x2, y2: area.top + b.y2 }; };
              const nodes = cy.nodes().filter(n => n.visible() && n.effectiveOpacity() > 0.5);
              const leaves = nodes.filter(n => n.isChildless());
              const overlaps = [];
              nodes.forEach((a, i) => nodes.forEach((b, j) => {
                if (j <= i || a.ancestors().contains(b) || b.ancestors().contains(a)) return;
                const p = box(a), q = box(b);
                if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) overlaps.push(p.id + ' and ' + q.id);
              }));
              const outside = nodes.map(box).filter(b => b.x1 < Math.max(0, area.left) || b.y1 < Math.max(0, area.top)
                || b.x2 > Math.min(window.innerWidth, area.right) || b.y2 > Math.min(window.innerHeight, area.bottom)).map(b => b.id);
              const fonts = leaves.map(n => cy.zoom() * parseFloat(n.style('font-size')));
              return { leaves: leaves.map(n => n.id()).sort(), overlaps, outside, smallestFont: Math.min(...fonts),
                status: document.getElementById('status').textContent };
            }
            """);

        var leaves = drawn.GetProperty("leaves").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray();
        string screenshot = Path.Combine(SockpeerCli.RepoRoot, "artifacts", screenshotName);
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });

        Assert.Equal(expected.Order(StringComparer.Ordinal), leaves);
        Assert.StartsWith($"{expected.Length} nodes", drawn.GetProperty("status").GetString(), StringComparison.Ordinal);
        Assert.True(drawn.GetProperty("overlaps").GetArrayLength() == 0, $"overlapping nodes: {drawn.GetProperty("overlaps")}");
        Assert.True(drawn.GetProperty("outside").GetArrayLength() == 0, $"nodes out of view: {drawn.GetProperty("outside")}");
        double font = drawn.GetProperty("smallestFont").GetDouble();
        Assert.True(font >= 9, $"labels drawn at {font.ToString("0.0", CultureInfo.InvariantCulture)} px");

        // Hovering a process shows its full label (a group's member shows only its pid).
        int hovered = _scene.Connections("web")[0].Client.Pid;
        var at = await page.EvaluateAsync<JsonElement>(
            "id => { const s = window.sockpeer; const p = s.cy.getElementById(id).renderedPosition(); const r = s.cy.container().getBoundingClientRect(); return { x: r.left + p.x, y: r.top + p.y }; }", $"p/{hovered}");
        await page.Mouse.MoveAsync(at.GetProperty("x").GetSingle(), at.GetProperty("y").GetSingle());
        await page.WaitForSelectorAsync("#tip:not([hidden])", new PageWaitForSelectorOptions { Timeout = 10_000 });
        Assert.StartsWith($"php-fpm[{hovered}]", await page.TextContentAsync("#tip"), StringComparison.Ordinal);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    public void Dispose()
    {
        _serve.Dispose();
        _scene.Dispose();
    }
}
