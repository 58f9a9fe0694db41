using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>`--netns current|INODE|PATH` narrows the snapshot to one namespace; bad values fail cleanly.</summary>
public class NetNsOptionTests
{
    /// <summary>A connection on a host path, and another inside a named namespace.</summary>
    /// <summary>
    /// A connection on host.sock in the host's namespace, and one on an abstract name in the named
    /// namespace (its scene run through ip netns exec).
    /// </summary>
    private sealed class HostAndNamed(NamedNetNs ns) : IDisposable
    {
        public SocketScene Host { get; } = SocketScene.Build().Listen("host", backlog: 8).Connect("host", accept: 1).Start();

        public SocketScene Named { get; } = SocketScene.Build()
            .As(["ip", "netns", "exec", ns.Name])
            .Listen("ns", backlog: 8, abstractName: System.Text.Encoding.ASCII.GetBytes(Ns.UniqueName("test")))
            .Connect("ns", accept: 1)
            .Start();

        public void Dispose()
        {
            Named.Dispose();
            Host.Dispose();
        }
    }

    private static HostAndNamed Start(NamedNetNs ns) => new(ns);


    private static HashSet<uint> Inodes(JsonElement list)
        => list.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()).ToHashSet();

    private static void AssertOnlyTheNamedNamespace(JsonElement list, HostAndNamed scenes, NamedNetNs ns)
    {
        var inodes = Inodes(list);
        Assert.Contains(scenes.Named.Inode("ns"), inodes);
        Assert.Contains(scenes.Named.Inode("ns.client0"), inodes);
        Assert.Contains(scenes.Named.Inode("ns.accepted0"), inodes);
        Assert.DoesNotContain(scenes.Host.Inode("host"), inodes);
        Assert.DoesNotContain(scenes.Host.Inode("host.client0"), inodes);
        Assert.All(list.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(ns.Inode, s.GetProperty("netns").GetUInt64()));
        var accepted = list.Socket(scenes.Named.Inode("ns.accepted0"));
        Assert.Equal(scenes.Named.Inode("ns"), accepted.NullableUInt("listener"));
        Assert.Equal(scenes.Named.Inode("ns.client0"), accepted.NullableUInt("peer"));
        // Holders come from the /proc walk, which sees every process whatever the namespace.
        Assert.Contains((scenes.Named.Pid, scenes.Named.Socket("ns.accepted0").Fd), accepted.Holders());
        Assert.DoesNotContain(list.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("namespace", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Inode_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);
        Assert.Equal(ns.Inode, scenes.Named.Socket("ns").NetNs);

        var result = SockpeerCli.Run("list", "--json", "--netns", ns.Inode.ToString());
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        AssertOnlyTheNamedNamespace(result.Json(), scenes, ns);
    }

    [SkippableFact]
    public void Run_netns_path_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);

        AssertOnlyTheNamedNamespace(SockpeerCli.Json("list", "--netns", ns.Path), scenes, ns);
    }

    [SkippableFact]
    public void Proc_pid_ns_net_path_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);

        AssertOnlyTheNamedNamespace(SockpeerCli.Json("list", "--netns", $"/proc/{scenes.Named.Pid}/ns/net"), scenes, ns);
    }

    [SkippableFact]
    public void Library_one_scope_by_inode_matches_the_cli()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = ns.Inode.ToString() }).Read();
        Assert.NotNull(inventory.Find(scenes.Named.Inode("ns")));
        Assert.Null(inventory.Find(scenes.Host.Inode("host")));
        Assert.All(inventory.Sockets, s => Assert.Equal(ns.Inode, s.NetNs));
    }

    [SkippableFact]
    public void Current_and_the_hosts_own_inode_leave_the_named_namespace_out()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);
        ulong host = scenes.Host.Socket("host").NetNs;

        foreach (string scope in new[] { "current", host.ToString() })
        {
            var list = SockpeerCli.Json("list", "--netns", scope);
            var inodes = Inodes(list);
            Assert.Contains(scenes.Host.Inode("host"), inodes);
            Assert.Contains(scenes.Host.Inode("host.accepted0"), inodes);
            Assert.DoesNotContain(scenes.Named.Inode("ns"), inodes);
            Assert.DoesNotContain(scenes.Named.Inode("ns.client0"), inodes);
            Assert.All(list.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(host, s.GetProperty("netns").GetUInt64()));
        }
    }

    [SkippableFact]
    public void Peer_and_who_take_netns_too()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = Start(ns);

        var peer = SockpeerCli.Json("peer", scenes.Named.Pid.ToString(), scenes.Named.Socket("ns.accepted0").Fd.ToString(), "--netns", ns.Path);
        Assert.Equal(scenes.Named.Inode("ns.client0"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenes.Named.Inode("ns"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());

        var outside = SockpeerCli.Run("peer", scenes.Named.Pid.ToString(), scenes.Named.Socket("ns.accepted0").Fd.ToString(), "--netns", "current");
        Assert.Equal(1, outside.ExitCode);
        Assert.Single(Ns.Lines(outside.Stderr));
        Ns.NoStackTrace(outside);

        // who: the host's listener is found in the host's namespace and not in the named one.
        string hostPath = scenes.Host.Socket("host").Path!;
        var whoHere = SockpeerCli.Json("who", hostPath, "--netns", "current");
        Assert.Equal(scenes.Host.Inode("host"), Assert.Single(whoHere.GetProperty("listeners").EnumerateArray()).GetProperty("inode").GetUInt32());
        var connection = Assert.Single(whoHere.GetProperty("connections").EnumerateArray());
        Assert.Equal(scenes.Host.Inode("host.client0"), connection.GetProperty("client").GetProperty("inode").GetUInt32());
        var whoThere = SockpeerCli.Json("who", hostPath, "--netns", ns.Path);
        Assert.Empty(whoThere.GetProperty("listeners").EnumerateArray());
        Assert.Empty(whoThere.GetProperty("connections").EnumerateArray());
    }

    [SkippableFact]
    public void Empty_named_namespace_by_inode_lists_nothing_without_warnings()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();

        var list = SockpeerCli.Json("list", "--netns", ns.Inode.ToString());
        Assert.Equal(0, list.GetProperty("sockets").GetArrayLength());
        Assert.Equal(0, list.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public void Bogus_value_is_a_usage_error_on_one_line()
    {
        var result = SockpeerCli.Run("list", "--netns", "bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var line = Assert.Single(Ns.Lines(result.Stderr));
        Assert.StartsWith("sockpeer: ", line);
        Assert.Contains("bogus", line);
        Ns.NoStackTrace(result);
    }

    [Fact]
    public void Inode_of_no_namespace_fails_on_one_line()
    {
        var result = SockpeerCli.Run("list", "--netns", "123");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var line = Assert.Single(Ns.Lines(result.Stderr));
        Assert.StartsWith("sockpeer: ", line);
        Assert.Contains("123", line);
        Ns.NoStackTrace(result);

        var json = SockpeerCli.Run("list", "--netns", "123", "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal("", json.Stdout);
    }

    [Fact]
    public void Missing_path_fails_on_one_line()
    {
        var result = SockpeerCli.Run("list", "--netns", "/run/netns/" + Ns.UniqueName("missing"));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("sockpeer: ", Assert.Single(Ns.Lines(result.Stderr)));
        Ns.NoStackTrace(result);
    }

    [Fact]
    public void Path_that_is_not_a_network_namespace_fails_on_one_line()
    {
        string file = Path.GetTempFileName();
        try
        {
            foreach (string target in new[] { file, "/proc/self/ns/uts" })
            {
                var result = SockpeerCli.Run("list", "--netns", target, "--json");
                Assert.True(result.ExitCode == 1, $"--netns {target}: exit {result.ExitCode}, stdout {result.Stdout.Length} bytes, stderr {result.Stderr}");
                Assert.Equal("", result.Stdout);
                var line = Assert.Single(Ns.Lines(result.Stderr));
                Assert.Contains("not a network namespace", line);
                Ns.NoStackTrace(result);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
