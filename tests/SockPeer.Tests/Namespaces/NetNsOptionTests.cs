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
    private const string ConnectionsInHostAndNamedNamespace = """
        path = os.path.join(sys.argv[1], "host.sock")
        hsrv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hsrv.bind(path)
        hsrv.listen(8)
        hc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hc.connect(path)
        hacc, _ = hsrv.accept()
        rep = spawn(["ip", "netns", "exec", NS_NAME], r'''
        name = b"\0sockpeer-test-" + os.urandom(6).hex().encode()
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(name)
        srv.listen(8)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        acc, _ = srv.accept()
        report(listener=ino(srv), client=ino(c), client_fd=c.fileno(), accepted=ino(acc), accepted_fd=acc.fileno())
        hold()
        ''')
        ready(host_netns=netns_of(os.getpid()), host_listener=ino(hsrv), host_client=ino(hc), host_accepted=ino(hacc),
              ns_pid=rep["pid"], ns_netns=rep["netns"], ns_listener=rep["listener"], ns_client=rep["client"],
              ns_client_fd=rep["client_fd"], ns_accepted=rep["accepted"], ns_accepted_fd=rep["accepted_fd"])
        hold()
        """;

    private static Scenario Start(NamedNetNs ns)
        => NsScripts.Start(ConnectionsInHostAndNamedNamespace.Replace("NS_NAME", $"\"{ns.Name}\"", StringComparison.Ordinal));

    private static HashSet<uint> Inodes(JsonElement list)
        => list.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()).ToHashSet();

    private static void AssertOnlyTheNamedNamespace(JsonElement list, Scenario scenario, NamedNetNs ns)
    {
        var inodes = Inodes(list);
        Assert.Contains(scenario.Inode("ns_listener"), inodes);
        Assert.Contains(scenario.Inode("ns_client"), inodes);
        Assert.Contains(scenario.Inode("ns_accepted"), inodes);
        Assert.DoesNotContain(scenario.Inode("host_listener"), inodes);
        Assert.DoesNotContain(scenario.Inode("host_client"), inodes);
        Assert.All(list.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(ns.Inode, s.GetProperty("netns").GetUInt64()));
        var accepted = list.Socket(scenario.Inode("ns_accepted"));
        Assert.Equal(scenario.Inode("ns_listener"), accepted.NullableUInt("listener"));
        Assert.Equal(scenario.Inode("ns_client"), accepted.NullableUInt("peer"));
        // Holders come from the /proc walk, which sees every process whatever the namespace.
        Assert.Contains((scenario.Int("ns_pid"), scenario.Int("ns_accepted_fd")), accepted.Holders());
        Assert.DoesNotContain(list.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("namespace", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Inode_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);
        Assert.Equal(ns.Inode, scenario.Info.GetProperty("ns_netns").GetUInt64());

        var result = SockpeerCli.Run("list", "--json", "--netns", ns.Inode.ToString());
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        AssertOnlyTheNamedNamespace(result.Json(), scenario, ns);
    }

    [SkippableFact]
    public void Run_netns_path_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);

        AssertOnlyTheNamedNamespace(SockpeerCli.Json("list", "--netns", ns.Path), scenario, ns);
    }

    [SkippableFact]
    public void Proc_pid_ns_net_path_narrows_to_that_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);

        AssertOnlyTheNamedNamespace(SockpeerCli.Json("list", "--netns", $"/proc/{scenario.Int("ns_pid")}/ns/net"), scenario, ns);
    }

    [SkippableFact]
    public void Library_one_scope_by_inode_matches_the_cli()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = ns.Inode.ToString() }).Read();
        Assert.NotNull(inventory.Find(scenario.Inode("ns_listener")));
        Assert.Null(inventory.Find(scenario.Inode("host_listener")));
        Assert.All(inventory.Sockets, s => Assert.Equal(ns.Inode, s.NetNs));
    }

    [SkippableFact]
    public void Current_and_the_hosts_own_inode_leave_the_named_namespace_out()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);
        ulong host = scenario.Info.GetProperty("host_netns").GetUInt64();

        foreach (string scope in new[] { "current", host.ToString() })
        {
            var list = SockpeerCli.Json("list", "--netns", scope);
            var inodes = Inodes(list);
            Assert.Contains(scenario.Inode("host_listener"), inodes);
            Assert.Contains(scenario.Inode("host_accepted"), inodes);
            Assert.DoesNotContain(scenario.Inode("ns_listener"), inodes);
            Assert.DoesNotContain(scenario.Inode("ns_client"), inodes);
            Assert.All(list.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(host, s.GetProperty("netns").GetUInt64()));
        }
    }

    [SkippableFact]
    public void Peer_and_who_take_netns_too()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenario = Start(ns);

        var peer = SockpeerCli.Json("peer", scenario.Int("ns_pid").ToString(), scenario.Int("ns_accepted_fd").ToString(), "--netns", ns.Path);
        Assert.Equal(scenario.Inode("ns_client"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("ns_listener"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());

        var outside = SockpeerCli.Run("peer", scenario.Int("ns_pid").ToString(), scenario.Int("ns_accepted_fd").ToString(), "--netns", "current");
        Assert.Equal(1, outside.ExitCode);
        Assert.Single(Ns.Lines(outside.Stderr));
        Ns.NoStackTrace(outside);

        // who: the host's listener is found in the host's namespace and not in the named one.
        string hostPath = Path.Combine(scenario.WorkDir, "host.sock");
        var whoHere = SockpeerCli.Json("who", hostPath, "--netns", "current");
        Assert.Equal(scenario.Inode("host_listener"), Assert.Single(whoHere.GetProperty("listeners").EnumerateArray()).GetProperty("inode").GetUInt32());
        var connection = Assert.Single(whoHere.GetProperty("connections").EnumerateArray());
        Assert.Equal(scenario.Inode("host_client"), connection.GetProperty("client").GetProperty("inode").GetUInt32());
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
