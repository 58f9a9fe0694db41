using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// unix_diag resumes each reply at a position in a hash bucket: sockets closing while it runs make it
/// skip live ones. Here 16,000 sockets sit still while two processes make and close socketpairs as
/// fast as they can; before the engine looked up absent peers, about one snapshot in four lost some
/// of the still ones. Now none may be lost.
/// </summary>
[Collection(RobustnessCollection.Name)]
public class ChurningDumpTests(ITestOutputHelper output)
{
    private const string StillAmongChurn = """
        import resource, ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        n = min(8000, (hard - 200) // 2)
        pairs = [socket.socketpair() for _ in range(n)]
        parent = os.getpid()
        for _ in range(2):
            if os.fork() == 0:
                libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: never outlive the scenario
                if os.getppid() != parent:
                    os._exit(0)
                held = []
                while True:
                    held.append(socket.socketpair())
                    if len(held) > 200:
                        for s in held.pop(0):
                            s.close()
        ready(still=[ino(s) for p in pairs for s in p])
        hold()
        """;

    [Fact]
    public void Still_sockets_are_all_listed_while_others_churn()
    {
        using var scenario = Scenario.Start(StillAmongChurn);
        var still = scenario.Info.GetProperty("still").EnumerateArray().Select(e => e.GetUInt32()).ToArray();
        var reader = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, ResolveHolders = false, CheckFiles = false });
        var lost = new List<string>();
        int warned = 0;
        for (int run = 0; run < 20; run++)
        {
            var inventory = reader.Read();
            var missing = still.Where(i => inventory.Find(i) is null).ToArray();
            if (missing.Length > 0)
            {
                lost.Add($"snapshot {run}: {missing.Length} lost ({string.Join(", ", missing.Take(5))}); warnings: {string.Join(" | ", inventory.Warnings)}");
            }
            warned += inventory.Warnings.Count > 0 ? 1 : 0;
        }
        output.WriteLine($"{still.Length} still sockets, 20 snapshots, {warned} with warnings");
        Assert.True(lost.Count == 0, string.Join('\n', lost));
    }
}
