using System.Diagnostics;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `sockpeer check`: a real scene for each verdict, and in each the test's own connect(2), made by a
/// python process of its own as the client user and from the client's namespaces, gives the errno
/// `check` predicted; `--try` (sockpeer's own real connect) agrees with both.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CheckTests : IDisposable
{
    private const string Nobody = "65534";

    /// <summary>
    /// The test's own client: argv TARGET TYPE UID GID GROUPS FROM ("-" for none). Enters FROM's network
    /// and mount namespaces and root, takes the credentials, connects non-blocking with the exact address
    /// bytes (so a 120-byte path reaches the kernel), prints OK or the errno's name.
    /// </summary>
    private const string ClientScript = """
        import ctypes, errno, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        target, kind, uid, gid, groups, frm = sys.argv[1:7]
        if frm != "-":
            net = os.open(f"/proc/{frm}/ns/net", os.O_RDONLY)
            mnt = os.open(f"/proc/{frm}/ns/mnt", os.O_RDONLY)
            root = os.open(f"/proc/{frm}/root", os.O_RDONLY)
            cwd = os.open(f"/proc/{frm}/cwd", os.O_RDONLY)
            if libc.setns(net, 0x40000000) != 0 or libc.setns(mnt, 0x20000) != 0:
                sys.exit("setns: " + os.strerror(ctypes.get_errno()))
            os.fchdir(root); os.chroot("."); os.fchdir(cwd)
        if uid != "-":
            os.setgroups([] if groups == "-" else [int(g) for g in groups.split(",")])
            os.setgid(int(gid)); os.setuid(int(uid))
        fd = libc.socket(1, {"stream": 1, "dgram": 2, "seqpacket": 5}[kind] | 0x800 | 0x80000, 0)
        name = b"\0" + target[1:].encode() if target.startswith("@") else target.encode() + b"\0"
        addr = ctypes.create_string_buffer(max(110, 2 + len(name)))
        addr[0:2] = (1).to_bytes(2, "little")
        addr[2:2 + len(name)] = name
        rc = libc.connect(fd, addr, 2 + len(name))
        print("OK" if rc == 0 else errno.errorcode[ctypes.get_errno()])
        """;

    private readonly string _dir;

    public CheckTests()
    {
        _dir = Directory.CreateTempSubdirectory("sockpeer-check-").FullName;
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101); // others may search it: the scenes choose who may not
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The test's own connect: OK or the errno name.</summary>
    private string RealConnect(string target, string type = "stream", string uid = "-", string gid = "-", string groups = "-", int? from = null)
    {
        string script = Path.Combine(_dir, "client.py");
        File.WriteAllText(script, Scenario.Dedent(ClientScript));
        var r = Confined.Run(["python3", script, target, type, uid, gid, groups, from?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout.Trim();
    }

    /// <summary>
    /// Runs `check TARGET ARGS --json --try`; asserts the verdict and errno, exit 0 or 1 to match, the
    /// test's own connect's errno and --try's; returns the document.
    /// </summary>
    private JsonElement AssertAgree(string verdict, string? errno, string target, string[] args, Func<string> ownConnect)
    {
        var r = SockpeerCli.Run(["check", target, .. args, "--json", "--try"]);
        Assert.DoesNotContain("   at ", r.Stderr);
        var doc = r.Json();
        Assert.Equal(verdict, doc.GetProperty("verdict").GetString());
        Assert.Equal(errno, doc.GetProperty("errno").GetString());
        Assert.Equal(errno is null ? 0 : 1, r.ExitCode);
        Assert.Equal(errno ?? "OK", ownConnect());
        var trial = doc.GetProperty("try");
        Assert.Equal(JsonValueKind.Null, trial.GetProperty("failure").ValueKind);
        Assert.Equal(errno, trial.GetProperty("errno").GetString());
        Assert.Equal(errno is null, trial.GetProperty("connected").GetBoolean());
        return doc;
    }

    private static uint ListenerInode(JsonElement doc) => doc.GetProperty("listener").GetProperty("inode").GetUInt32();

    private static uint[] Elsewhere(JsonElement doc) => [.. doc.GetProperty("elsewhere").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32())];

    [SkippableFact]
    public void Listener_is_ok_and_named_with_its_holder()
    {
        Ns.RequireRoot();
        using var scene = SocketScene.Build().Listen("s", file: Path.Combine(_dir, "s.sock"), backlog: 8).Start();
        string path = scene.Socket("s").Path!;
        var doc = AssertAgree("ok", null, path, [], () => RealConnect(path));
        Assert.Equal(scene.Inode("s"), ListenerInode(doc));
        Assert.Contains(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scene.Pid);
        var steps = doc.GetProperty("path").EnumerateArray().ToList();
        Assert.Equal(path, steps[^1].GetProperty("name").GetString());
        Assert.Equal("socket", steps[^1].GetProperty("type").GetString());
        Assert.All(steps, s => Assert.True(s.GetProperty("ok").GetBoolean()));

        var human = SockpeerCli.Run("check", path, "-q");
        Assert.Equal(0, human.ExitCode);
        Assert.StartsWith($"{path}: ok\n", human.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Missing_path_is_no_such_file_naming_the_missing_component()
    {
        Ns.RequireRoot();
        string path = Path.Combine(_dir, "gone", "s.sock");
        var doc = AssertAgree("no-such-file", "ENOENT", path, [], () => RealConnect(path));
        var last = doc.GetProperty("path").EnumerateArray().Last();
        Assert.Equal(Path.Combine(_dir, "gone"), last.GetProperty("name").GetString());
        Assert.False(last.GetProperty("ok").GetBoolean());
    }

    [SkippableFact]
    public void Regular_file_is_not_a_socket()
    {
        Ns.RequireRoot();
        string path = Path.Combine(_dir, "plain");
        File.WriteAllText(path, "x");
        AssertAgree("not-a-socket", "ECONNREFUSED", path, [], () => RealConnect(path));
    }

    [SkippableFact]
    public void Directory_of_mode_0700_denies_nobody_search()
    {
        Ns.RequireRoot();
        string secret = Directory.CreateDirectory(Path.Combine(_dir, "secret")).FullName;
        File.SetUnixFileMode(secret, (UnixFileMode)0b111_000_000);
        using var scene = SocketScene.Build().Listen("s", file: Path.Combine(secret, "s.sock")).Start();
        string path = scene.Socket("s").Path!;
        var doc = AssertAgree("permission", "EACCES", path, ["--as", "nobody"], () => RealConnect(path, uid: Nobody, gid: Nobody));
        var denied = Assert.Single(doc.GetProperty("path").EnumerateArray(), s => !s.GetProperty("ok").GetBoolean());
        Assert.Equal(secret, denied.GetProperty("name").GetString());
        Assert.Equal("0700", denied.GetProperty("mode").GetString());
        Assert.Equal(0u, denied.GetProperty("uid").GetUInt32());
        Assert.Equal(65534u, doc.GetProperty("client").GetProperty("uid").GetUInt32());

        // The caller (root) passes; by uid as well as by name.
        AssertAgree("ok", null, path, [], () => RealConnect(path));
        var byUid = SockpeerCli.Run("check", path, "--as", Nobody, "--json");
        Assert.Equal(1, byUid.ExitCode);
        Assert.Equal("permission", byUid.Json().GetProperty("verdict").GetString());
    }

    [SkippableFact]
    public void Socket_file_of_mode_0600_denies_nobody_write_and_who_shows_the_mode()
    {
        Ns.RequireRoot();
        using var scene = SocketScene.Build().Listen("s", file: Path.Combine(_dir, "s.sock")).Start();
        string path = scene.Socket("s").Path!;
        File.SetUnixFileMode(path, (UnixFileMode)0b110_000_000);
        var doc = AssertAgree("permission", "EACCES", path, ["--as", "nobody"], () => RealConnect(path, uid: Nobody, gid: Nobody));
        var last = doc.GetProperty("path").EnumerateArray().Last();
        Assert.Equal(path, last.GetProperty("name").GetString());
        Assert.False(last.GetProperty("ok").GetBoolean());
        Assert.Equal("0600", last.GetProperty("mode").GetString());

        var file = Assert.Single(SockpeerCli.Json("who", path).GetProperty("listeners").EnumerateArray()).GetProperty("file");
        Assert.Equal("0600", file.GetProperty("mode").GetString());
        Assert.Equal(0u, file.GetProperty("uid").GetUInt32());
        Assert.Equal(0u, file.GetProperty("gid").GetUInt32());
    }

    [SkippableFact]
    public void Socket_file_nothing_is_bound_to_is_stale()
    {
        Ns.RequireRoot();
        using var scene = SocketScene.Build().Bind("dead", SceneType.Stream, file: Path.Combine(_dir, "dead.sock")).Close("dead").Start();
        string path = scene.Socket("dead").Path!;
        var doc = AssertAgree("stale", "ECONNREFUSED", path, [], () => RealConnect(path));
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("listener").ValueKind);
        Assert.Empty(Elsewhere(doc));
    }

    [SkippableFact]
    public void Stale_file_over_a_listener_that_still_listens_names_that_listener()
    {
        Ns.RequireRoot();
        string path = Path.Combine(_dir, "r.sock");
        using var scene = SocketScene.Build().Listen("old", file: path).Unlink("old")
            .Bind("new", SceneType.Stream, file: path).Close("new").Start();
        var doc = AssertAgree("stale", "ECONNREFUSED", path, [], () => RealConnect(path));
        Assert.Equal([scene.Inode("old")], Elsewhere(doc));
        Assert.Contains($"pid {scene.Pid}", doc.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void File_replaced_by_a_new_listener_reaches_the_new_one_and_names_the_old()
    {
        Ns.RequireRoot();
        string path = Path.Combine(_dir, "r.sock");
        using var scene = SocketScene.Build().Listen("old", file: path).Unlink("old").Listen("new", file: path).Start();
        var doc = AssertAgree("ok", null, path, [], () => RealConnect(path));
        Assert.Equal(scene.Inode("new"), ListenerInode(doc));
        Assert.Equal([scene.Inode("old")], Elsewhere(doc));
    }

    [SkippableFact]
    public void Bound_socket_that_does_not_listen_is_not_listening()
    {
        Ns.RequireRoot();
        using var scene = SocketScene.Build().Bind("b", SceneType.Stream, file: Path.Combine(_dir, "b.sock")).Start();
        string path = scene.Socket("b").Path!;
        var doc = AssertAgree("not-listening", "ECONNREFUSED", path, [], () => RealConnect(path));
        Assert.Equal(scene.Inode("b"), ListenerInode(doc));
    }

    [SkippableFact]
    public void Stream_client_of_a_datagram_server_is_wrong_type_and_a_datagram_client_is_ok()
    {
        Ns.RequireRoot();
        using var scene = SocketScene.Build().Bind("d", SceneType.Datagram, file: Path.Combine(_dir, "d.sock")).Start();
        string path = scene.Socket("d").Path!;
        var doc = AssertAgree("wrong-type", "EPROTOTYPE", path, [], () => RealConnect(path));
        Assert.Equal(scene.Inode("d"), ListenerInode(doc));
        AssertAgree("ok", null, path, ["--type", "dgram"], () => RealConnect(path, type: "dgram"));
    }

    [SkippableFact]
    public void Full_accept_queue_is_backlog_full()
    {
        Ns.RequireRoot();
        // Backlog 1 admits 2 waiting clients; then the queue is full.
        using var scene = SocketScene.Build().Listen("l", backlog: 1, file: Path.Combine(_dir, "l.sock")).Connect("l", clients: 2).Start();
        string path = scene.Socket("l").Path!;
        var doc = AssertAgree("backlog-full", "EAGAIN", path, [], () => RealConnect(path));
        Assert.Equal(scene.Inode("l"), ListenerInode(doc));
        Assert.True(doc.GetProperty("listener").GetProperty("backlogFull").GetBoolean());
    }

    [SkippableFact]
    public void Abstract_name_in_another_network_namespace_is_other_namespace_and_ok_from_there()
    {
        Ns.RequireRoot();
        string name = Ns.UniqueName("check");
        using var scene = SocketScene.Build().InNewNetNs().Listen("a", abstractName: System.Text.Encoding.UTF8.GetBytes(name)).Start();
        string target = "@" + name;
        var doc = AssertAgree("other-namespace", "ECONNREFUSED", target, [], () => RealConnect(target));
        Assert.Equal([scene.Inode("a")], Elsewhere(doc));
        Assert.Contains(scene.Socket("a").NetNs.ToString(), doc.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var there = AssertAgree("ok", null, target, ["--from", scene.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], () => RealConnect(target, from: scene.Pid));
        Assert.Equal(scene.Inode("a"), ListenerInode(there));

        string unbound = "@" + Ns.UniqueName("nobody-binds");
        AssertAgree("no-such-name", "ECONNREFUSED", unbound, [], () => RealConnect(unbound));
    }

    [SkippableFact]
    public void Bind_mounted_socket_file_pinning_the_old_inode_is_other_namespace_from_that_mount_namespace()
    {
        Ns.RequireRoot();
        string host = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        string path = Path.Combine(host, "app.sock");
        string pin = Path.Combine(_dir, "pin");
        File.WriteAllText(pin, "");
        string ready = Path.Combine(_dir, "ready");
        Process? container = null;
        try
        {
            using (SocketScene.Build().Listen("old", file: path).Start())
            {
                // The "container": its own mount namespace where the path is a bind mount of the old socket file.
                container = Process.Start(new ProcessStartInfo("unshare", ["-m", "--propagation", "private", "--", "sh", "-c",
                    $"mount --bind '{path}' '{pin}' && mount -t tmpfs tmpfs '{host}' && touch '{path}' && mount --bind '{pin}' '{path}' && touch '{ready}' && exec sleep 600"])
                    { UseShellExecute = false })!;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!File.Exists(ready) && DateTime.UtcNow < deadline && !container.HasExited)
                {
                    Thread.Sleep(50);
                }
                Assert.True(File.Exists(ready), "the container's mounts were not made");
            }
            // The daemon restarts on the host: its old file is removed and a new listener binds the path.
            File.Delete(path);
            using var restarted = SocketScene.Build().Listen("new", file: path).Start();
            int pid = container!.Id;
            var doc = AssertAgree("other-namespace", "ECONNREFUSED", path, ["--from", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                () => RealConnect(path, from: pid));
            Assert.Equal([restarted.Inode("new")], Elsewhere(doc));
            Assert.Equal(JsonValueKind.Null, doc.GetProperty("listener").ValueKind);

            // From the host the path reaches the new listener.
            var here = AssertAgree("ok", null, path, [], () => RealConnect(path));
            Assert.Equal(restarted.Inode("new"), ListenerInode(here));
        }
        finally
        {
            if (container is { HasExited: false })
            {
                container.Kill();
                container.WaitForExit();
            }
            container?.Dispose();
        }
    }

    [SkippableFact]
    public void Path_of_120_bytes_is_path_too_long_though_a_listener_is_bound_there()
    {
        Ns.RequireRoot();
        string deep = Path.Combine(_dir, new string('d', 120 - _dir.Length - 1 - "/s.sock".Length));
        Directory.CreateDirectory(deep);
        string path = Path.Combine(deep, "s.sock");
        Assert.Equal(120, path.Length);
        using var scene = SocketScene.Build().Then($$"""
            LONG = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            here = os.getcwd()
            os.chdir({{JsonSerializer.Serialize(deep)}})
            LONG.bind("s.sock")
            LONG.listen(4)
            os.chdir(here)
            EXTRA["long"] = os.fstat(LONG.fileno()).st_ino
            """).Start();
        uint inode = scene.Scenario.Info.GetProperty("long").GetUInt32();
        var doc = AssertAgree("path-too-long", "EINVAL", path, [], () => RealConnect(path));
        Assert.Equal(inode, ListenerInode(doc));
    }

    [Fact]
    public void Bad_input_is_one_error_line()
    {
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("check", "/tmp/x.sock", "--as", "no-such-user-here"), 2, "unknown user");
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("check", "/tmp/x.sock", "--from", "0"), 2, "bad pid");
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("check", "/tmp/x.sock", "--from", "2147483000"), 1, "no such pid");
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("check", "/tmp/x.sock", "--type", "raw"), 2, "bad type");
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("check", ""), 2, "empty target");
    }
}
