using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// A listener with 9,000 pending connections: its ICONS attribute (36 KB) fits in no sock_diag reply,
/// which silently ends a dump that asks for it. Nothing else may go missing, the count must be exact,
/// and the list must be complete or flagged partial with a warning.
/// </summary>
[Collection(RobustnessCollection.Name)]
public class HugeAcceptQueueTests(ITestOutputHelper output)
{
    private const int Pending = 9000;
    private const string SomaxconnPath = "/proc/sys/net/core/somaxconn";

    private const string Script = """
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 9000 + 256
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        big_path = os.path.join(sys.argv[1], "big.sock")
        big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        big.bind(big_path)
        big.listen(9000)
        clients = []
        for i in range(9000):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(big_path)
            clients.append(c)
        # Created after the big listener: must still be listed.
        marker_a, marker_b = socket.socketpair()
        small_path = os.path.join(sys.argv[1], "small.sock")
        small = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        small.bind(small_path)
        small.listen(4)
        small_clients = []
        for i in range(2):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(small_path)
            small_clients.append(c)
        ready(big=ino(big), backlog=big.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), clients=[ino(c) for c in clients],
              marker_a=ino(marker_a), marker_b=ino(marker_b), small=ino(small), small_clients=[ino(c) for c in small_clients])
        hold()
        """;

    private static Scenario StartWithRaisedSomaxconn()
    {
        // listen() caps its backlog at somaxconn when it is called; the old value goes back right after.
        using (new SysctlScope(SomaxconnPath, "10000"))
        {
            return Scenario.Start(Script, TimeSpan.FromSeconds(60));
        }
    }

    [SkippableFact]
    public void Library_lists_everything_with_an_exact_count_and_a_complete_or_flagged_pending_list()
    {
        Skip.IfNot(Privilege.IsRoot, "raising net.core.somaxconn needs root");
        string before = File.ReadAllText(SomaxconnPath);
        using var scenario = StartWithRaisedSomaxconn();
        Assert.Equal(before, File.ReadAllText(SomaxconnPath));

        var inventory = new SocketInventoryReader().Read();
        var big = inventory.Find(scenario.Inode("big"));
        Assert.NotNull(big);
        output.WriteLine($"pendingCount={big.PendingCount} pending={big.Pending.Count} partial={big.PendingPartial} backlog={big.Backlog}");
        foreach (var w in inventory.Warnings)
        {
            output.WriteLine($"warning: {w}");
        }
        Assert.Equal(UnixSocketState.Listening, big.State);
        Assert.Equal((uint)Pending, big.PendingCount);
        Assert.Equal((uint)Pending, big.Backlog);
        uint[] clients = Inodes(scenario, "clients");
        // 9000 pending inodes take 36,000 bytes: more than a dump reply (at most 32 KiB) or a single
        // query's reply (at most a page) can carry, so the kernel lists none of them. Known, not guessed:
        AssertNoneListedAndSaidSo(big.PendingPartial, big.Pending);
        var partial = Assert.Single(inventory.WarningDetails, w => w.Code == WarningCode.PendingPartial);
        Assert.True(partial.Count >= 1);

        // Nothing else went missing: the clients, the marker pair made after the listener, the small listener.
        // A client waiting to be accepted has no peer yet (its server half has no inode): it must not look
        // like one whose peer closed (peer 0), also when the listener's list could not name it.
        foreach (uint c in clients)
        {
            var client = inventory.Find(c);
            Assert.NotNull(client);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Null(client.Peer);
            Assert.Null(client.PendingOn); // the kernel named no listener for it
        }
        var a = inventory.Find(scenario.Inode("marker_a"));
        var b = inventory.Find(scenario.Inode("marker_b"));
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Equal(b.Inode, a.Peer);
        Assert.True(a.IsSocketPair);
        Assert.Contains(a.Holders, h => h.Pid == scenario.Pid);
        var small = inventory.Find(scenario.Inode("small"));
        Assert.NotNull(small);
        Assert.Equal(2u, small.PendingCount);
        Assert.False(small.PendingPartial);
        Assert.Equal(Inodes(scenario, "small_clients").Order(), small.Pending.Order());
        foreach (uint c in Inodes(scenario, "small_clients"))
        {
            Assert.Equal(small.Inode, inventory.Find(c)!.PendingOn);
        }
        Assert.Empty(Consistency.Violations(inventory));
    }

    [SkippableFact]
    public void Cli_json_lists_everything_with_an_exact_count_and_a_complete_or_flagged_pending_list()
    {
        Skip.IfNot(Privilege.IsRoot, "raising net.core.somaxconn needs root");
        using var scenario = StartWithRaisedSomaxconn();

        var list = SockpeerCli.Json("list");
        var big = list.Socket(scenario.Inode("big"));
        uint[] pending = big.Inodes("pending");
        bool partial = big.GetProperty("pendingPartial").GetBoolean();
        var warnings = list.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        output.WriteLine($"pendingCount={big.NullableUInt("pendingCount")} pending={pending.Length} partial={partial}");
        warnings.ForEach(w => output.WriteLine($"warning: {w}"));
        Assert.Equal((uint)Pending, big.NullableUInt("pendingCount"));
        uint[] clients = Inodes(scenario, "clients");
        AssertNoneListedAndSaidSo(partial, pending);
        Assert.Contains(warnings, w => w.Contains("have more pending connections than the kernel can list in one reply", StringComparison.Ordinal));
        var byInode = list.GetProperty("sockets").EnumerateArray().ToDictionary(s => s.GetProperty("inode").GetUInt32());
        Assert.Subset(byInode.Keys.ToHashSet(), clients.ToHashSet());
        Assert.Equal(0, clients.Count(c => byInode[c].NullableUInt("peer") is not null));
        Assert.Equal(scenario.Inode("marker_b"), list.Socket(scenario.Inode("marker_a")).NullableUInt("peer"));
        Assert.Equal(scenario.Inode("marker_a"), list.Socket(scenario.Inode("marker_b")).NullableUInt("peer"));
        var small = list.Socket(scenario.Inode("small"));
        Assert.Equal(2u, small.NullableUInt("pendingCount"));
        Assert.False(small.GetProperty("pendingPartial").GetBoolean());
        Assert.Equal(Inodes(scenario, "small_clients").Order(), small.Inodes("pending").Order());
    }

    private static void AssertNoneListedAndSaidSo(bool partial, IReadOnlyCollection<uint> pending)
    {
        Assert.True(partial, "9000 pending clients cannot all be listed, yet the list is not flagged partial");
        Assert.Empty(pending);
    }

    private static uint[] Inodes(Scenario scenario, string name)
        => scenario.Info.GetProperty(name).EnumerateArray().Select(x => x.GetUInt32()).ToArray();
}
