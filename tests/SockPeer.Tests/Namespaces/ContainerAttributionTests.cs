using System.Security.Cryptography;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Container attribution end to end without a container engine: a scenario process is moved into a
/// cgroup named the way Docker or the kubelet name theirs, and sockpeer must say so in JSON and in
/// the human view.
/// </summary>
public class ContainerAttributionTests
{
    private static SocketScene HostConnection() => SocketScene.Build()
        .Listen("host", backlog: 8, file: "c.sock")
        .Connect("host", accept: 1)
        .Start();

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [SkippableFact]
    public void Docker_systemd_scope_on_cgroup_v2_shows_in_json_and_human_view()
    {
        Skip.IfNot(Ns.IsRoot, "needs root to create cgroups and move a process into one");
        string? root = TestCgroup.V2Root();
        Skip.If(root is null, "no cgroup v2 hierarchy is mounted (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)");
        string id = NewId();
        using var cgroup = TestCgroup.TryCreate(root, "system.slice", $"docker-{id}.scope");
        Skip.If(cgroup is null, $"cgroups under {root} are not writable here");
        using var scene = HostConnection();

        int pid = scene.Pid;
        cgroup.Add(pid);
        Assert.Contains($"/system.slice/docker-{id}.scope", File.ReadAllText($"/proc/{pid}/cgroup"));

        var process = new SocketInventoryReader().Read().FindProcess(pid);
        Assert.NotNull(process);
        Assert.Equal(new global::SockPeer.Proc.ContainerInfo("docker", id[..12], null), process.Container);

        var result = SockpeerCli.Run("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        var json = result.Json().GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == pid);
        var container = json.GetProperty("container");
        Assert.Equal("docker", container.GetProperty("runtime").GetString());
        Assert.Equal(id[..12], container.GetProperty("id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, container.GetProperty("name").ValueKind);

        var human = SockpeerCli.Run("list");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"python3[{pid}]{{docker:{id[..12]}}}:{scene.Socket("host.client0").Fd}", human.Stdout);

        var peer = SockpeerCli.Run("peer", scene.Inode("host.client0").ToString());
        Assert.Equal(0, peer.ExitCode);
        Assert.Contains($"docker  {id[..12]}", peer.Stdout);

        var peerJson = SockpeerCli.Json("peer", scene.Inode("host.client0").ToString());
        Assert.Contains(peerJson.GetProperty("processes").EnumerateArray(),
            p => p.GetProperty("pid").GetInt32() == pid && p.GetProperty("container").GetProperty("runtime").GetString() == "docker");
    }

    [SkippableFact]
    public void Kubernetes_pod_cgroupfs_layout_shows_pod_and_container()
    {
        Skip.IfNot(Ns.IsRoot, "needs root to create cgroups and move a process into one");
        // A cgroup v1 hierarchy when there is one (a hybrid host, like the kubelet's cgroupfs driver on v1), else v2.
        string? root = TestCgroup.V1Root("pids") ?? TestCgroup.V2Root();
        Skip.If(root is null, "no cgroup hierarchy is mounted");
        string id = NewId();
        string uid = Guid.NewGuid().ToString();
        using var cgroup = TestCgroup.TryCreate(root, "kubepods", "besteffort", $"pod{uid}", id);
        Skip.If(cgroup is null, $"cgroups under {root} are not writable here");
        using var scene = HostConnection();

        int pid = scene.Pid;
        cgroup.Add(pid);

        var list = SockpeerCli.Json("list");
        var json = list.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == pid);
        var container = json.GetProperty("container");
        Assert.Equal("kubernetes", container.GetProperty("runtime").GetString());
        Assert.Equal(id[..12], container.GetProperty("id").GetString());
        Assert.Equal($"pod {uid}", container.GetProperty("name").GetString());

        var human = SockpeerCli.Run("list");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"python3[{pid}]{{kubernetes:pod {uid}}}:{scene.Socket("host.client0").Fd}", human.Stdout);
    }

    [SkippableFact]
    public void A_process_in_no_container_has_container_null()
    {
        Skip.IfNot(Ns.IsRoot, "needs root to know this process's cgroup is not a container's");
        Skip.IfNot(global::SockPeer.Proc.CgroupParser.Parse(File.ReadAllBytes("/proc/self/cgroup")) is null, "the tests themselves run in a container or service unit");
        using var scene = HostConnection();

        var json = SockpeerCli.Json("list").GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == scene.Pid);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("container").ValueKind);
    }
}

/// <summary>
/// A cgroup made for one test under its own top directory (ROOT/sockpeer-test-UNIQUE/...), removed on
/// dispose: processes still in it go back to the hierarchy's root, then the directories go, deepest first.
/// </summary>
internal sealed class TestCgroup : IDisposable
{
    private readonly string _root;
    private readonly List<string> _dirs;

    public string Leaf => _dirs[^1];

    private TestCgroup(string root, List<string> dirs)
    {
        _root = root;
        _dirs = dirs;
    }

    public static string? V2Root()
    {
        foreach (var candidate in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
        {
            if (File.Exists(Path.Combine(candidate, "cgroup.controllers")))
            {
                return candidate;
            }
        }
        return null;
    }

    public static string? V1Root(string controller)
    {
        string dir = Path.Combine("/sys/fs/cgroup", controller);
        return File.Exists(Path.Combine(dir, "cgroup.procs")) && !File.Exists(Path.Combine(dir, "cgroup.controllers")) ? dir : null;
    }

    /// <summary>Creates ROOT/sockpeer-test-UNIQUE/parts...; null when the hierarchy is not writable.</summary>
    public static TestCgroup? TryCreate(string root, params string[] parts)
    {
        var dirs = new List<string>();
        string current = Path.Combine(root, Ns.UniqueName("cgroup"));
        var cgroup = new TestCgroup(root, dirs);
        try
        {
            foreach (var part in parts.Prepend(""))
            {
                current = part.Length == 0 ? current : Path.Combine(current, part);
                Directory.CreateDirectory(current);
                dirs.Add(current);
            }
            return cgroup;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cgroup.Dispose();
            return null;
        }
    }

    public void Add(int pid) => File.WriteAllText(Path.Combine(Leaf, "cgroup.procs"), pid.ToString());

    public void Dispose()
    {
        for (int i = _dirs.Count - 1; i >= 0; i--)
        {
            string dir = _dirs[i];
            for (int attempt = 0; attempt < 50 && Directory.Exists(dir); attempt++)
            {
                try
                {
                    foreach (var pid in File.ReadAllLines(Path.Combine(dir, "cgroup.procs")))
                    {
                        try
                        {
                            File.WriteAllText(Path.Combine(_root, "cgroup.procs"), pid);
                        }
                        catch (IOException)
                        {
                        }
                    }
                    Directory.Delete(dir, recursive: false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Thread.Sleep(100); // a process that just exited can hold the cgroup for a moment
                }
            }
        }
    }
}
