using SockPeer.Collection;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Proc;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>
/// A client accepted while a snapshot is taken: the fd walk (which starts before the dumps) read the
/// server before its accept, and the pending recheck then added the new server end. Its holder must
/// still be found (a watch's accept line names the process that accepted).
/// </summary>
public class AccepterRescanTests
{
    [Fact]
    public void A_server_end_accepted_after_the_fd_walk_read_its_process_still_gets_its_holder()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        server.Listen();
        client.Connect();
        FdScan walkBeforeAccept = new ProcScanner("/proc", 1).ScanFds();
        var accepted = server.Accept();

        NamespaceDump dumped;
        using (var channel = NetlinkDiagChannel.Open())
        {
            dumped = new NamespaceDumper().DumpNamespace(channel, null, "");
        }
        Assert.Contains(dumped.Records, r => r.Inode == accepted.Inode);

        IReadOnlyList<Model.SocketHolder> HoldersOfAccepted(IReadOnlyList<uint> acceptedSince)
        {
            var builder = new RawDumpBuilder();
            builder.Add(dumped with { AcceptedSince = acceptedSince });
            var findings = new HolderLookup(new InventoryOptions()).Resolve(Task.FromResult(walkBeforeAccept), builder.Build(peersKnown: true));
            return findings.Scan!.HoldersOf(accepted.Inode);
        }

        // The walk really came before the accept: read as an ordinary socket, the end has no holder.
        Assert.Empty(HoldersOfAccepted([]));
        // Marked as the recheck marks it, the accepting process's table is read again.
        var holder = Assert.Single(HoldersOfAccepted([accepted.Inode]));
        Assert.Equal((server.Pid, accepted.Fd), (holder.Pid, holder.Fd));
    }
}
