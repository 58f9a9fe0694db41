using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// Schema 1 says a listener's recvQueue is the number pending and its sendQueue the backlog, as
/// `ss -xl` shows them (Recv-Q, Send-Q). A listener with backlog 5 and two clients never accepted.
/// </summary>
public class ListenerQueueTests
{
    private static SocketScene TwoPendingOnBacklogFive() => SocketScene.Build()
        .Listen("queue", backlog: 5)
        .Connect("queue", clients: 2)
        .Start();

    /// <summary>Recv-Q and Send-Q of the socket <paramref name="inode"/> in `ss -xlH`.</summary>
    private static (uint Recv, uint Send) FromSs(uint inode)
    {
        var ss = Ns.Run("ss", "-xlH");
        Assert.True(ss.ExitCode == 0, ss.Stderr);
        foreach (var line in Ns.Lines(ss.Stdout))
        {
            // Netid State Recv-Q Send-Q Local-Address Port Peer-Address Port
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 8 && f[5] == inode.ToString())
            {
                return (uint.Parse(f[2]), uint.Parse(f[3]));
            }
        }
        throw new Xunit.Sdk.XunitException($"ss -xl does not show socket {inode}:\n{ss.Stdout}");
    }

    [SkippableFact]
    public void Pending_and_backlog_match_ss()
    {
        Skip.IfNot(Ns.Tool("ss"), "needs ss (iproute2)");
        using var s = TwoPendingOnBacklogFive();
        uint inode = s.Socket("queue").Inode;
        var (recv, send) = FromSs(inode);
        Assert.Equal((2u, 5u), (recv, send));

        var listener = new SocketInventoryReader(new InventoryOptions { ResolveHolders = false }).Read().Find(inode)!;
        Assert.Equal((recv, send), (listener.RecvQueue, listener.SendQueue));
        Assert.Equal(listener.PendingCount, listener.RecvQueue);
        Assert.Equal(listener.Backlog, listener.SendQueue);

        var json = SockpeerCli.ListOf(s.Pid).Socket(inode);
        Assert.Equal(recv, json.GetProperty("recvQueue").GetUInt32());
        Assert.Equal(send, json.GetProperty("sendQueue").GetUInt32());
        Assert.Equal(2u, json.NullableUInt("pendingCount"));
        Assert.Equal(5u, json.NullableUInt("backlog"));
    }
}
