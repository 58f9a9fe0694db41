using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `who PATH` where the answer is not a live listener on the host: a socket file nobody is bound to,
/// a path the user may not examine, and a listener in another network namespace (--netns).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WhoEdgeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-who-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Socket_file_nobody_is_bound_to_is_said_so_with_exit_1()
    {
        using var scene = SocketScene.Build().Bind("dead", SceneType.Stream).Close("dead").Start();
        string path = scene.Socket("dead").Path!;
        Assert.True(File.Exists(path));

        var doc = SockpeerCli.Json("who", path);
        Assert.Equal(path, doc.GetProperty("path").GetString());
        Assert.Empty(doc.GetProperty("listeners").EnumerateArray());
        Assert.Empty(doc.GetProperty("stale").EnumerateArray());
        Assert.Empty(doc.GetProperty("connections").EnumerateArray());
        Assert.Empty(doc.GetProperty("pending").EnumerateArray());

        var human = SockpeerCli.Run("who", path);
        Assert.Equal(1, human.ExitCode); // not found, so a health check can use it
        Assert.Contains($"{path}: no socket is bound to this file now", human.Stdout, StringComparison.Ordinal);
        Assert.All(Ns.Lines(human.Stderr), l => Assert.StartsWith("sockpeer: warning: ", l, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Path_the_user_may_not_examine_is_one_error_line_with_exit_1()
    {
        Skip.IfNot(Ns.IsRoot, "needs root to make a directory nobody may enter and to run as nobody");
        string secret = Directory.CreateDirectory(Path.Combine(_dir, "secret")).FullName;
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var scene = SocketScene.Build().Listen("s", file: Path.Combine(secret, "s.sock")).Start();
        string path = scene.Socket("s").Path!;
        string binary = Confined.PublicBinary(Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName);
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);

        foreach (string[] args in new[] { new[] { "who", path }, ["who", path, "--json"] })
        {
            var r = Confined.Run([.. Confined.Nobody, binary, .. args], _dir);
            SockpeerCli.AssertOneErrorLine(r, 1, string.Join(' ', args));
            Assert.Equal($"sockpeer: {path}: cannot be examined (permission denied)\n", r.Stderr);
        }
    }

    [SkippableFact]
    public void Listener_in_another_network_namespace_is_found_with_netns_and_not_without()
    {
        Ns.RequireRoot();
        string path = Path.Combine(_dir, "ns.sock");
        using var scene = SocketScene.Build().InNewNetNs().Listen("ns", file: path).Connect("ns", accept: 1).Start();
        Assert.NotEqual(Ns.Current, scene.Socket("ns").NetNs);
        string netns = $"/proc/{scene.Pid}/ns/net";

        var there = SockpeerCli.Json("who", path, "--netns", netns);
        var listener = Assert.Single(there.GetProperty("listeners").EnumerateArray());
        Assert.Equal(scene.Inode("ns"), listener.GetProperty("inode").GetUInt32());
        var connection = Assert.Single(there.GetProperty("connections").EnumerateArray());
        Assert.Equal(scene.Inode("ns.accepted0"), connection.GetProperty("server").GetProperty("inode").GetUInt32());
        Assert.Equal(scene.Inode("ns.client0"), connection.GetProperty("client").GetProperty("inode").GetUInt32());

        var here = SockpeerCli.Json("who", path, "--netns", "current");
        Assert.Empty(here.GetProperty("listeners").EnumerateArray());
        Assert.Empty(here.GetProperty("connections").EnumerateArray());
    }
}
