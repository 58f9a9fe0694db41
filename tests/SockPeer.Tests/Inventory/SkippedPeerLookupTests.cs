using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// unix_diag resumes each reply at a position in a hash bucket, so a socket closed mid-dump makes it
/// skip a live one (a run with two test suites at once lost one end of a socketpair among 30,000).
/// A stream peer named in the dump but absent from it is asked for by inode and added when it answers.
/// </summary>
public class SkippedPeerLookupTests
{
    private static (SocketInventory Inventory, ScriptedDiagChannel Channel) Read(Action<ScriptedDiagChannel> afterDump, params Func<uint, byte[]>[] records)
    {
        var channel = new ScriptedDiagChannel().Reply(records).ReplyDone();
        afterDump(channel);
        var options = new InventoryOptions { Channels = new ScriptedChannelFactory(channel), ResolveHolders = false, CheckFiles = false };
        return (new SocketInventoryReader(options).Read(), channel);
    }

    private static uint RequestedInode(byte[] request) => BitConverter.ToUInt32(request, 16 + 8);

    private static ushort RequestFlags(byte[] request) => BitConverter.ToUInt16(request, 6);

    [Fact]
    public void A_skipped_stream_peer_is_asked_for_and_added()
    {
        var (inventory, channel) = Read(
            c => c.Reply(seq => Nl.Record(seq, 8002, state: UnixDiagState.Established, peer: 8001, flags: 0)),
            seq => Nl.Record(seq, 8001, state: UnixDiagState.Established, peer: 8002));

        Assert.Equal(2, channel.Requests.Count);
        Assert.Equal(8002u, RequestedInode(channel.Requests[1]));
        Assert.Equal(1, RequestFlags(channel.Requests[1])); // NLM_F_REQUEST alone: one socket, not a dump
        var found = inventory.Find(8002)!;
        Assert.Equal(8001u, found.Peer);
        Assert.True(found.IsSocketPair);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("peer", StringComparison.Ordinal)); // the count check reads the real host
    }

    [Fact]
    public void A_peer_that_closed_since_is_asked_for_once_and_left_out()
    {
        var (inventory, channel) = Read(
            c => c.Reply(seq => Nl.Error(seq, Errno.ENOENT)),
            seq => Nl.Record(seq, 8001, state: UnixDiagState.Established, peer: 8002),
            seq => Nl.Record(seq, 8003, state: UnixDiagState.Established, peer: 8002));

        Assert.Equal(2, channel.Requests.Count);
        Assert.Null(inventory.Find(8002));
        Assert.Equal(8002u, inventory.Find(8001)!.Peer);
    }

    [Fact]
    public void Datagram_peers_may_live_in_other_namespaces_and_are_not_asked_for()
    {
        var (inventory, channel) = Read(
            _ => { },
            seq => Nl.Record(seq, 8001, type: 2, state: UnixDiagState.Established, peer: 8002));

        Assert.Single(channel.Requests);
        Assert.Null(inventory.Find(8002));
    }

    [Fact]
    public void Peers_all_present_cost_no_query()
    {
        var (_, channel) = Read(
            _ => { },
            seq => Nl.Record(seq, 8001, peer: 8002),
            seq => Nl.Record(seq, 8002, peer: 8001),
            // Its peer closed: the kernel shuts a socket down both ways when its peer goes (else peer 0 reads as waiting to be accepted).
            seq => Nl.Record(seq, 8003, peer: 0, shutdown: 3));

        Assert.Single(channel.Requests);
    }

    private static Func<uint, byte[]>[] Naming(int count) =>
        Enumerable.Range(0, count).Select(i => (Func<uint, byte[]>)(seq => Nl.Record(seq, 8100 + (uint)i, peer: 9100 + (uint)i))).ToArray();

    [Fact]
    public void Many_absent_peers_bring_a_second_dump_instead_of_as_many_lookups()
    {
        var (inventory, channel) = Read(
            c => c.Reply(Enumerable.Range(0, 40).Select(i => (Func<uint, byte[]>)(seq => Nl.Record(seq, 9100 + (uint)i, peer: 8100 + (uint)i))).ToArray())
                .ReplyDone(),
            Naming(40));

        Assert.Equal(2, channel.Requests.Count);
        Assert.NotEqual(0, RequestFlags(channel.Requests[1]) & 0x300); // NLM_F_DUMP
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(8100u + (uint)i, inventory.Find(9100 + (uint)i)!.Peer));
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("peer", StringComparison.Ordinal)); // the count check reads the real host
    }

    [Fact]
    public void Absent_peers_past_the_lookup_cap_are_a_warning()
    {
        var (inventory, channel) = Read(
            c =>
            {
                c.ReplyDone(); // the second dump brings nothing back: they closed
                for (int i = 0; i < 32; i++)
                {
                    c.Reply(seq => Nl.Error(seq, Errno.ENOENT));
                }
            },
            Naming(40));

        Assert.Equal(2 + 32, channel.Requests.Count);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("8 stream peer(s) named in the dump were absent from it and not looked up", StringComparison.Ordinal));
    }
}
