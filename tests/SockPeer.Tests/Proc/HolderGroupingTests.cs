using SockPeer.Model;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

/// <summary>
/// Holders are keyed by socket inode, not by the socket's position in the dump (issue 21): the walk's
/// links, in whatever order the workers found them, come back grouped per inode, each group sorted by
/// pid and fd without duplicates, whatever numbering the caller used to group them.
/// </summary>
public class HolderGroupingTests
{
    private static ProcScanner.FdWorker Worker(params (uint Inode, int Pid, int Fd)[] links)
    {
        var worker = new ProcScanner.FdWorker(-1);
        foreach (var (inode, pid, fd) in links)
        {
            worker.Holders.Add(new ProcScanner.Found(inode, pid, fd, 0));
        }
        return worker;
    }

    [Fact]
    public void Holders_are_found_by_inode_whatever_the_dump_order()
    {
        var fds = new FdScan([
            Worker((300, 20, 4), (100, 10, 5), (999, 10, 6), (100, 10, 3)),
            Worker((100, 10, 5), (300, 7, 9), (500, 1, 1)),
        ]);
        // The dump's order (300, 100, 200, 500) is not the inodes' order.
        var sockets = new Dictionary<uint, int> { [300] = 0, [100] = 1, [200] = 2, [500] = 3 };

        var scan = new ProcScanner("/proc").Resolve(fds, sockets, sockets.Count, null, details: false);

        Assert.Equal([new SocketHolder(10, 3), new SocketHolder(10, 5)], scan.HoldersOf(100));
        Assert.Equal([new SocketHolder(7, 9), new SocketHolder(20, 4)], scan.HoldersOf(300));
        Assert.Equal([new SocketHolder(1, 1)], scan.HoldersOf(500));
        Assert.Empty(scan.HoldersOf(200)); // in the dump, held by no fd
        Assert.Empty(scan.HoldersOf(999)); // held, but not a socket of the dump (TCP, netlink, ...)
        Assert.Equal([100u, 300u, 500u], scan.Inodes);
        Assert.Equal(5, scan.Holders.Length);
    }

    [Fact]
    public void No_socket_no_holder()
    {
        var scan = new ProcScanner("/proc").Resolve(new FdScan([Worker((1, 1, 1))]), [], 0, null, details: false);
        Assert.Empty(scan.HoldersOf(1));
        Assert.Empty(scan.Inodes);
    }
}
