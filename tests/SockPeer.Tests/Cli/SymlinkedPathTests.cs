using System.Net;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// Issue 23, point 7: a listener bound through a symlinked directory (`link/s.sock`, `link -> real`,
/// as postgres binds /var/run/postgresql while /var/run -> /run). `--path` with the real directory and
/// with the link both select it, in list, watch --source poll and serve's filter; the row and the JSON
/// say the name resolves to the real path, via the bound one.
/// </summary>
public sealed class SymlinkedPathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sockpeer-symlink-").FullName;
    private readonly SocketScene _scene;

    public SymlinkedPathTests()
    {
        Directory.CreateDirectory(Real);
        File.CreateSymbolicLink(Link, Real);
        _scene = SocketScene.Build().Listen("srv", file: Path.Combine(Link, "s.sock")).Start();
    }

    private string Real => Path.Combine(_root, "real");

    private string Link => Path.Combine(_root, "link");

    private uint Inode => _scene.Inode("srv");

    public void Dispose()
    {
        _scene.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void List_path_matches_the_real_directory_and_the_link()
    {
        Assert.Equal(Path.Combine(Link, "s.sock"), _scene.Socket("srv").Path);
        foreach (string dir in new[] { Real, Link })
        {
            var r = SockpeerCli.Run("list", "--path", dir + "/*", "--json");
            Assert.True(r.ExitCode == 0, $"--path {dir}/*: exit {r.ExitCode}: {r.Stderr}");
            SchemaAssert.Valid(r.Stdout, "list");
            var socket = r.Json().Socket(Inode);
            Assert.Equal(Path.Combine(Link, "s.sock"), socket.Str("name"));
            Assert.Equal(Path.Combine(Real, "s.sock"), socket.GetProperty("file").Str("resolvedPath"));
        }
        var text = SockpeerCli.Run("list", "--path", Real + "/*", "-o", "INODE,NAME", "-w");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"{Path.Combine(Real, "s.sock")} (via {Path.Combine(Link, "s.sock")})", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_by_polling_matches_the_real_directory()
    {
        using var watch = new WatchStream("--json", "--initial", "--source", "poll", "--interval", "100ms", "--path", Real + "/*");
        watch.WaitFor("the listener bound through the link", e => e.Is("exists", "socket", Inode));
    }

    [Fact]
    public async Task Serve_filter_matches_the_real_directory_and_the_link()
    {
        using var serve = ServeProcess.Start([]);
        using var http = serve.Client();
        serve.WaitHealthy(http);
        foreach (string dir in new[] { Real, Link })
        {
            using var response = await http.GetAsync("api/snapshot?path=" + Uri.EscapeDataString(dir + "/*"));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            using var doc = JsonDocument.Parse(body);
            Assert.Contains(Inode, doc.RootElement.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()));
        }
    }
}
