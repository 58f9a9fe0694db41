using System.Text;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// <see cref="CgroupParser"/> on whole /proc/PID/cgroup files (CgroupFixtures/*.cgroup, read as bytes)
/// in the layouts container engines, Kubernetes and systemd make, for cgroup v2, v1 and hybrid hosts.
/// </summary>
public class CgroupParserTests
{
    private const string Docker = "376f487bf992";
    private const string DockerCgroupfs = "4e7d912fd678";
    private const string DockerInner = "3554289be080";
    private const string Containerd = "81bfcb7910e0";
    private const string Kube = "b05c996c29b0";
    private const string Crio = "619e380290f2";
    private const string Podman = "b2d89b45d21a";
    private const string Pod = "pod 5c7a1f0e-3b2d-4e8f-9a61-0d4c2b7e9f13";

    /// <summary>Fixture name; expected runtime, id and name, or a null runtime for "no container".</summary>
    public static TheoryData<string, string?, string?, string?> Fixtures => new()
    {
        // Docker: systemd driver (docker-ID.scope), cgroupfs driver (/docker/ID), rootless, nested.
        { "docker-systemd-v2", "docker", Docker, null },
        { "docker-systemd-v1-hybrid", "docker", Docker, null },
        { "docker-cgroupfs-v1", "docker", DockerCgroupfs, null },
        { "docker-cgroupfs-v1-hybrid", "docker", DockerCgroupfs, null },
        { "docker-cgroupfs-v2", "docker", DockerCgroupfs, null },
        { "docker-rootless-v2", "docker", Docker, null },
        { "docker-in-docker-v1", "docker", DockerInner, null },
        { "docker-running-systemd-v2", "docker", Docker, null },
        // containerd without Kubernetes: nerdctl's systemd scope, containerd's default /NAMESPACE/ID, a CRI scope.
        { "containerd-nerdctl-systemd-v2", "containerd", Containerd, null },
        { "containerd-default-namespace-cgroupfs-v2", "containerd", Containerd, null },
        { "containerd-cri-outside-kubepods-v2", "containerd", Containerd, null },
        // Kubernetes pods: systemd (kubepods-QOS-podUID.slice) and cgroupfs (/kubepods/QOS/podUID) layouts.
        { "k8s-systemd-burstable-containerd-v2", "kubernetes", Kube, Pod },
        { "k8s-systemd-besteffort-docker-v1", "kubernetes", Kube, Pod },
        { "k8s-systemd-guaranteed-containerd-v2", "kubernetes", Kube, Pod },
        { "k8s-cgroupfs-burstable-v1", "kubernetes", Kube, Pod },
        { "k8s-cgroupfs-besteffort-v2", "kubernetes", Kube, Pod },
        { "k8s-cgroupfs-guaranteed-v2", "kubernetes", Kube, Pod },
        { "k8s-cgroupfs-subgroup-v1", "kubernetes", Kube, Pod },
        { "k8s-kind-systemd-v2", "kubernetes", Kube, Pod },
        // CRI-O: crio-ID.scope (systemd) or crio-ID (cgroupfs); its conmon is not the container.
        { "crio-k8s-systemd-v2", "kubernetes", Crio, Pod },
        { "crio-k8s-systemd-crun-subgroup-v2", "kubernetes", Crio, Pod },
        { "crio-k8s-cgroupfs-v1", "kubernetes", Crio, Pod },
        { "crio-conmon-system-slice-v2", null, null, null },
        { "crio-conmon-in-pod-v2", "kubernetes", null, Pod },
        { "crio-without-k8s-v2", "cri-o", Crio, null },
        // Podman: libpod-ID.scope (systemd, rootful and rootless), /libpod_parent/libpod-ID (cgroupfs); not conmon.
        { "podman-systemd-v2", "podman", Podman, null },
        { "podman-systemd-scope-v2", "podman", Podman, null },
        { "podman-rootless-v2", "podman", Podman, null },
        { "podman-pod-v2", "podman", Podman, null },
        { "podman-conmon-v2", null, null, null },
        { "podman-cgroupfs-v1", "podman", Podman, null },
        { "podman-cgroupfs-conmon-v1", null, null, null },
        // LXC / LXD: lxc.payload.NAME (LXC 4+), /lxc/NAME (older); the monitor is not the container.
        { "lxc-payload-v2", "lxc", null, "web" },
        { "lxd-payload-service-v2", "lxc", null, "c1" },
        { "lxc-legacy-v1", "lxc", null, "web" },
        { "lxc-monitor-v2", null, null, null },
        // systemd units: services are named; scopes and slices are not containers.
        { "systemd-service-v2", "systemd", null, "nginx.service" },
        { "systemd-template-service-v2", "systemd", null, "getty@tty1.service" },
        { "systemd-user-service-v2", "systemd", null, "pipewire.service" },
        { "systemd-service-v1-hybrid", "systemd", null, "ssh.service" },
        { "systemd-session-scope-v2", null, null, null },
        { "systemd-init-scope-v2", null, null, null },
        // Plain hosts.
        { "host-root-v2", null, null, null },
        { "host-v1-hybrid-this-machine", null, null, null },
        { "empty", null, null, null },
    };

    private static byte[] Fixture(string name)
        => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Namespaces", "CgroupFixtures", name + ".cgroup"));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Recognises(string fixture, string? runtime, string? id, string? name)
    {
        var info = CgroupParser.Parse(Fixture(fixture));
        if (runtime is null)
        {
            Assert.Null(info);
            return;
        }
        Assert.NotNull(info);
        Assert.Equal((runtime, id, name), (info.Runtime, info.Id, info.Name));
    }

    [Fact]
    public void Every_fixture_file_is_in_the_table()
    {
        var files = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Namespaces", "CgroupFixtures"), "*.cgroup")
            .Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToArray();
        var table = Fixtures.Select(row => (string)row[0]).Order().ToArray();
        Assert.Equal(table, files);
    }

    [Fact]
    public void This_process_own_cgroup_file_parses()
    {
        // Whatever this machine is, its own file parses, and to what its paths say, read here by a
        // rule of the test's own: a container runtime's marker makes a container, a .service or
        // .scope a systemd unit, anything else (a plain host, a VM's own cgroups) nothing.
        string text = File.ReadAllText("/proc/self/cgroup");
        var info = CgroupParser.Parse(Encoding.UTF8.GetBytes(text));
        bool container = System.Text.RegularExpressions.Regex.IsMatch(text, "docker|kubepods|libpod|crio|cri-containerd|containerd|/lxc|lxc\\.payload|machine\\.slice");
        bool unit = System.Text.RegularExpressions.Regex.IsMatch(text, "\\.(service|scope)(/|$)", System.Text.RegularExpressions.RegexOptions.Multiline);
        if (container)
        {
            Assert.True(info is { Runtime: not "systemd" }, $"a container's cgroup gave {info}: {text}");
        }
        else if (unit)
        {
            Assert.Equal("systemd", info?.Runtime);
        }
        else
        {
            Assert.Null(info);
        }
    }

    [Theory]
    [InlineData("0::/")]
    [InlineData("0::/\n")]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("garbage without colons\n")]
    [InlineData("0::/system.slice/docker-0123.scope\n")]
    [InlineData("0::/docker/NOTHEX0123456789012345678901234567890123456789012345678901234567\n")]
    [InlineData("0::/kubepods.slice/kubepods-podX.slice\n")]
    public void Malformed_or_short_ids_do_not_throw(string text)
    {
        // No container id is made up from a malformed or short one: a unit or a pod may be named, never an id.
        var info = CgroupParser.Parse(Encoding.UTF8.GetBytes(text));
        Assert.True(info is null || string.IsNullOrEmpty(info.Id), $"'{text.TrimEnd()}' gave {info}");
    }

    [Fact]
    public void A_missing_final_newline_still_parses()
    {
        string id = new('a', 64);
        Assert.Equal("docker", CgroupParser.Parse(Encoding.UTF8.GetBytes($"0::/system.slice/docker-{id}.scope"))?.Runtime);
        Assert.Equal("aaaaaaaaaaaa", CgroupParser.Parse(Encoding.UTF8.GetBytes($"1:name=systemd:/\n0::/docker/{id}"))?.Id);
    }
}
