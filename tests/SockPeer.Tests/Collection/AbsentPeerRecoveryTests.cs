using SockPeer.Collection;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>Absent-peer recovery over a scripted channel: single lookups, a second dump under heavy churn, and failures kept as warnings.</summary>
public class AbsentPeerRecoveryTests
{
    private static UnixDiagRecord Record(uint inode, uint peer, byte type = 1)
        => new() { Type = type, State = UnixDiagState.Established, Inode = inode, Cookie = inode, HasPeer = true, Peer = peer };

    [Fact]
    public void A_stream_peer_the_dump_skipped_is_asked_for_and_added()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Record(seq, 11, peer: 10));
        var warnings = new List<InventoryWarning>();
        UnixDiagRecord[] dumped = [Record(10, 11)];

        var records = AbsentPeerRecovery.Recover(channel, new DiagDump(), dumped, null, warnings);

        Assert.Equal([10u, 11u], records.Select(r => r.Inode));
        Assert.Single(channel.Requests);
        Assert.Single(dumped); // the dump's own list is not added to
        Assert.Empty(warnings);
    }

    [Fact]
    public void Datagram_peers_and_peers_present_are_not_asked_for()
    {
        var channel = new ScriptedDiagChannel();
        UnixDiagRecord[] dumped = [Record(10, 11), Record(11, 10), Record(20, 99, type: 2)];

        var records = AbsentPeerRecovery.Recover(channel, new DiagDump(), dumped, null, []);

        Assert.Same(dumped, records);
        Assert.Empty(channel.Requests);
    }

    [Fact]
    public void Under_heavy_churn_a_second_dump_is_taken_and_what_stays_absent_is_warned_of()
    {
        int absent = AbsentPeerRecovery.MaxPeerLookups + 8;
        var dumped = Enumerable.Range(0, absent).Select(i => Record((uint)(1000 + i), (uint)(5000 + i))).ToArray();
        // The second dump brings back nothing new; each single lookup then finds nothing (ENOENT).
        var channel = new ScriptedDiagChannel().ReplyDone();
        for (int i = 0; i < AbsentPeerRecovery.MaxPeerLookups; i++)
        {
            channel.Reply(seq => Nl.Error(seq, Errno.ENOENT));
        }
        var warnings = new List<InventoryWarning>();

        var records = AbsentPeerRecovery.Recover(channel, new DiagDump(), dumped, 7, warnings);

        Assert.Equal(absent, records.Count);
        Assert.Equal(1 + AbsentPeerRecovery.MaxPeerLookups, channel.Requests.Count);
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.PeersNotLookedUp, w.Code);
        Assert.Equal(8, w.Count);
    }

    [Fact]
    public void A_channel_that_fails_keeps_what_was_found_and_warns_with_the_namespace()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Record(seq, 11, peer: 10)).FailSend(Errno.None).FailSend(Errno.EBADF);
        var warnings = new List<InventoryWarning>();

        var records = AbsentPeerRecovery.Recover(channel, new DiagDump(), [Record(10, 11), Record(20, 21)], 7, warnings);

        Assert.Equal([10u, 20u, 11u], records.Select(r => r.Inode));
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.PeersNotLookedUp, w.Code);
        Assert.Equal(7ul, w.NetNs);
    }
}
