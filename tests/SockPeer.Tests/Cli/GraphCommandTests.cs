using System.Text.Json;
using System.Xml.Linq;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `sockpeer graph` on the demo's scene, with real processes: the client and its reader child
/// (sharing one socket) point at the handler that serves the connection, and the server shows its
/// listening socket. Filtered by the scene's socket path so that other tests' sockets stay out.
/// </summary>
public sealed class GraphCommandTests : IClassFixture<GraphCommandTests.Scene>
{
    public sealed class Scene : IDisposable
    {
        public DemoScene Demo { get; } = new();

        public void Dispose() => Demo.Dispose();
    }

    private readonly DemoScene _demo;

    public GraphCommandTests(Scene scene) => _demo = scene.Demo;

    private CliResult Graph(params string[] args) => SockpeerCli.Run(["graph", "--path", _demo.SocketPath, .. args]);

    [Fact]
    public void Json_has_the_demo_processes_as_nodes_and_their_connections_as_edges()
    {
        var r = Graph("--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        SchemaAssert.Valid(r.Stdout, "graph");
        var doc = r.Json();
        var nodes = doc.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!);
        string server = $"p/{_demo.ServerPid}", handler = $"p/{_demo.HandlerPid}", client = $"p/{_demo.ClientPid}", reader = $"p/{_demo.ReaderPid}";
        Assert.Equal(new[] { server, handler, client, reader }.Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"sockpeer[{_demo.ClientPid}]", nodes[client].GetProperty("label").GetString());
        Assert.Equal("process", nodes[client].GetProperty("kind").GetString());
        Assert.Equal([_demo.ClientPid], nodes[client].GetProperty("pids").EnumerateArray().Select(p => p.GetInt32()));
        // The server's connections are served by the handler: its listener is shown on it.
        Assert.Equal([_demo.SocketPath], nodes[server].GetProperty("listening").EnumerateArray().Select(l => l.GetString()));
        Assert.Contains(nodes[client].GetProperty("sockets").EnumerateArray(), s => s.GetProperty("fd").GetInt32() == _demo.ClientFd);

        var edges = doc.GetProperty("edges").EnumerateArray().ToList();
        Assert.Equal(2, edges.Count);
        foreach (var from in new[] { client, reader })
        {
            var e = Assert.Single(edges, e => e.GetProperty("from").GetString() == from);
            Assert.Equal(handler, e.GetProperty("to").GetString());
            Assert.Equal(_demo.SocketPath, e.GetProperty("name").GetString());
            Assert.Equal(1, e.GetProperty("connections").GetInt32());
            Assert.Equal("connection", e.GetProperty("kind").GetString());
            Assert.False(e.GetProperty("crossNetns").GetBoolean());
        }
        // The fork-shared client socket is the same connection on both edges.
        Assert.Equal(edges[0].GetProperty("sockets").GetRawText(), edges[1].GetProperty("sockets").GetRawText());
    }

    [Fact]
    public void Dot_is_the_default_and_the_same_state_gives_the_same_bytes()
    {
        var first = Graph();
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.StartsWith("// sockpeer graph", first.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"p/{_demo.ClientPid}\" -> \"p/{_demo.HandlerPid}\" [label=\"{_demo.SocketPath}\"];", first.Stdout);
        Assert.Contains($"\"p/{_demo.ReaderPid}\" -> \"p/{_demo.HandlerPid}\" [label=\"{_demo.SocketPath}\"];", first.Stdout);
        Assert.Contains($"listening {_demo.SocketPath}", first.Stdout);
        var second = Graph("--format", "dot");
        Assert.Equal(first.Stdout, second.Stdout);
    }

    [Fact]
    public void Mermaid_has_a_node_per_process_and_an_arrow_per_edge()
    {
        var r = Graph("--format", "mermaid", "--group", "process");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("flowchart LR", lines[1]);
        Assert.Equal(4, lines.Count(l => l.StartsWith("  n", StringComparison.Ordinal) && l.EndsWith(')')));
        Assert.Equal(2, lines.Count(l => l.Contains(" -->|", StringComparison.Ordinal)));
        Assert.Contains($"sockpeer#91;{_demo.HandlerPid}#93;", r.Stdout);
    }

    [Fact]
    public void Grouping_by_command_folds_the_demo_into_one_node()
    {
        var doc = SockpeerCli.Json("graph", "--path", _demo.SocketPath, "--group", "command");
        var node = Assert.Single(doc.GetProperty("nodes").EnumerateArray());
        Assert.Equal(("c/sockpeer", "command"), (node.GetProperty("id").GetString(), node.GetProperty("kind").GetString()));
        Assert.Equal(new[] { _demo.ServerPid, _demo.HandlerPid, _demo.ClientPid, _demo.ReaderPid }.Order(), node.GetProperty("pids").EnumerateArray().Select(p => p.GetInt32()));
        var edge = Assert.Single(doc.GetProperty("edges").EnumerateArray());
        Assert.Equal(1, edge.GetProperty("connections").GetInt32());
    }

    [Fact]
    public void Svg_comes_from_graphviz_and_names_every_process()
    {
        string file = Path.Combine(_demo.Dir, "graph.svg");
        var r = Graph("--format", "svg", "-o", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Empty(r.Stdout);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = XDocument.Load(file).Descendants(ns + "text").Select(t => t.Value).ToList();
        foreach (int pid in new[] { _demo.ServerPid, _demo.HandlerPid, _demo.ClientPid, _demo.ReaderPid })
        {
            Assert.Contains($"sockpeer[{pid}]", texts);
        }
        Assert.Equal(2, texts.Count(t => t == _demo.SocketPath));
    }

    [Fact]
    public void Svg_without_graphviz_is_one_line_saying_what_to_do()
    {
        var r = SockpeerCli.RunWith(new Dictionary<string, string> { ["PATH"] = "/nonexistent" }, "graph", "--format", "svg");
        SockpeerCli.AssertOneErrorLine(r, 1, "graph --format svg without dot");
        Assert.Contains("graphviz", r.Stderr);
        Assert.Contains("--format dot", r.Stderr);
    }

    [Theory]
    [InlineData("--format", "png")]
    [InlineData("--group", "pod")]
    [InlineData("--pid", "0")]
    [InlineData("--type", "raw")]
    public void A_bad_option_value_is_a_usage_error(string option, string value)
    {
        var r = SockpeerCli.Run("graph", option, value);
        SockpeerCli.AssertOneErrorLine(r, 2, $"graph {option} {value}");
    }

    [Fact]
    public void An_unwritable_output_file_is_one_line()
    {
        var r = SockpeerCli.Run("graph", "-o", "/nonexistent-dir/graph.dot");
        SockpeerCli.AssertOneErrorLine(r, 1, "graph -o into a missing directory");
    }
}
