using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using SockPeer.Cli.Rendering;
using SockPeer.Graph;
using SockPeer.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Graph;

/// <summary>
/// DOT, Mermaid and JSON of the hand-built snapshot compared byte for byte with the files in
/// Graph/Golden/ (SOCKPEER_UPDATE_GOLDEN=1 rewrites them; review the diff). Graphviz's own `dot`
/// must accept every golden DOT file, and the SVG it draws must show each name exactly as the
/// model displays it, which only holds when the DOT escaping is right.
/// </summary>
public class GraphWriterGoldenTests
{
    private static readonly string GoldenDir = Path.Combine(SockpeerCli.RepoRoot, "tests", "SockPeer.Tests", "Graph", "Golden");

    public static TheoryData<string> DotFiles => new() { "process.dot", "command.dot", "container.dot" };

    private static SocketGraph Build(GraphGrouping grouping) => SocketGraphBuilder.Build(GraphFixtures.Inventory(), new GraphOptions { Grouping = grouping });

    private static string Render(string file)
    {
        var grouping = Path.GetFileNameWithoutExtension(file) switch
        {
            "command" => GraphGrouping.Command,
            "container" => GraphGrouping.Container,
            _ => GraphGrouping.Process,
        };
        var graph = Build(grouping);
        if (file.EndsWith(".json", StringComparison.Ordinal))
        {
            using var ms = new MemoryStream();
            GraphJsonWriter.Write(ms, graph);
            return Encoding.UTF8.GetString(ms.ToArray());
        }
        var sw = new StringWriter { NewLine = "\n" };
        if (file.EndsWith(".mmd", StringComparison.Ordinal))
        {
            MermaidWriter.Write(sw, graph);
        }
        else
        {
            DotWriter.Write(sw, graph);
        }
        return sw.ToString();
    }

    [Theory]
    [InlineData("process.dot")]
    [InlineData("command.dot")]
    [InlineData("container.dot")]
    [InlineData("process.mmd")]
    [InlineData("process.json")]
    public void Output_matches_the_golden_file(string file)
    {
        string actual = Render(file);
        string path = Path.Combine(GoldenDir, file);
        if (Environment.GetEnvironmentVariable("SOCKPEER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual, new UTF8Encoding(false));
        }
        Assert.True(File.Exists(path), $"no golden file {path}; run with SOCKPEER_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path, Encoding.UTF8), actual);
        Assert.Equal(actual, Render(file));
    }

    [Fact]
    public void Json_is_a_valid_graph_document()
    {
        string json = Render("process.json");
        SchemaAssert.Valid(json, "graph");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var evil = root.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == "p/200");
        Assert.Equal("\"evil\"\\\\\\n<img src=x onerror=alert(1)>[200]", evil.GetProperty("label").GetString());
        var cross = root.GetProperty("edges").EnumerateArray().Single(e => e.GetProperty("crossNetns").GetBoolean());
        Assert.Equal(("p/700", "p/100", "@dbus\\x00x@y\"}", "connection", 1),
            (cross.GetProperty("from").GetString(), cross.GetProperty("to").GetString(), cross.GetProperty("name").GetString(),
             cross.GetProperty("kind").GetString(), cross.GetProperty("connections").GetInt32()));
        Assert.Equal("cannot read /proc/4242/fd: Permission denied", root.GetProperty("warnings")[0].GetString());
    }

    [Fact]
    public void Mermaid_labels_hold_no_character_that_ends_a_label_or_starts_markup()
    {
        string text = Render("process.mmd");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Where(l => !l.StartsWith("  linkStyle ", StringComparison.Ordinal)))
        {
            // Each line: an id, then one quoted label (in brackets or pipes); inside it no quote, '<' other than <br/>, '|' or '@'.
            int open = line.IndexOf('"');
            int close = line.LastIndexOf('"');
            Assert.True(open > 0 && close > open, line);
            string label = line[(open + 1)..close].Replace("<br/>", "", StringComparison.Ordinal);
            Assert.DoesNotContain('"', label);
            Assert.DoesNotContain('<', label);
            Assert.DoesNotContain('|', label);
            Assert.DoesNotContain('@', label);
            Assert.DoesNotContain('\\', label);
        }
        Assert.Contains("#34;evil#34;#92;#92;#92;n#60;img src=x onerror=alert#40;1#41;#62;#91;200#93;", text);
    }

    [Theory]
    [MemberData(nameof(DotFiles))]
    public void Graphviz_accepts_the_golden_dot_as_svg_and_png(string file)
    {
        string path = Path.Combine(GoldenDir, file);
        var svg = Graphviz(path, "svg");
        Assert.True(svg.ExitCode == 0 && svg.Stderr.Length == 0, $"dot -Tsvg {file}: exit {svg.ExitCode}: {svg.Stderr}");
        var png = Graphviz(path, "png");
        Assert.True(png.ExitCode == 0 && png.Stderr.Length == 0, $"dot -Tpng {file}: exit {png.ExitCode}: {png.Stderr}");
        Assert.StartsWith("\u0089PNG", png.Stdout, StringComparison.Ordinal);

        // The SVG is XML whose text elements are the label lines: each name must come out as the model shows it.
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = XDocument.Parse(svg.Stdout).Descendants(ns + "text").Select(t => t.Value).ToList();
        var graph = Build(file == "command.dot" ? GraphGrouping.Command : file == "container.dot" ? GraphGrouping.Container : GraphGrouping.Process);
        foreach (var n in graph.Nodes)
        {
            Assert.True(texts.Contains(n.Label), $"node label [{n.Label}] not in the SVG's texts:\n{string.Join("\n", texts)}");
        }
        foreach (var e in graph.Edges)
        {
            string first = DotWriter.EdgeLabel(e).Split('\n')[0];
            Assert.True(texts.Contains(first), $"edge label [{first}] not in the SVG's texts:\n{string.Join("\n", texts)}");
        }
        Assert.Contains(file == "command.dot" ? "\"evil\"\\\\\\n<img src=x onerror=alert(1)>" : "\"evil\"\\\\\\n<img src=x onerror=alert(1)>[200]", texts);
        Assert.DoesNotContain("<img", svg.Stdout, StringComparison.Ordinal);
    }

    private static CliResult Graphviz(string dotFile, string format)
    {
        Assert.True(File.Exists("/usr/bin/dot") || File.Exists("/usr/local/bin/dot"), "Graphviz's dot is not installed (Debian: graphviz; .ci/run installs it)");
        var info = new ProcessStartInfo("dot") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-T" + format);
        info.ArgumentList.Add(dotFile);
        using var p = Process.Start(info)!;
        // PNG bytes read as Latin-1 keep one char per byte, enough to check the signature.
        using var reader = new StreamReader(p.StandardOutput.BaseStream, format == "png" ? Encoding.Latin1 : Encoding.UTF8);
        var stdout = reader.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "dot did not finish");
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
