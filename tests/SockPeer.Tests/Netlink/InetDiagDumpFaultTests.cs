using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Netlink;

/// <summary>
/// InetDiagDump against a scripted channel: the dump loop it shares with the AF_UNIX dump, with the
/// inet dump's own rules (inode-0 records kept: a loopback connection's other end may have none) and
/// its own warning texts.
/// </summary>
public class InetDiagDumpFaultTests
{
    // inet_diag_msg for 127.0.0.1:8080 -> 127.0.0.2:41922 (InetDiagParserTests' V4), with the inode
    // (last 4 bytes) and the cookie (offset 44) patched in.
    private const string V4 = "02 01 00 00 | 1f 90 a3 c2 | 7f 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 | 7f 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 "
        + "| 00 00 00 00 | 07 00 00 00 00 00 00 00 | 00 00 00 00 | 03 00 00 00 | 04 00 00 00 | e8 03 00 00 | ef cd ab 00";

    private static Func<uint, byte[]> Rec(uint inode, ulong cookie = 7)
    {
        byte[] payload = Hex.Bytes(V4);
        BitConverter.TryWriteBytes(payload.AsSpan(payload.Length - 4), inode);
        BitConverter.TryWriteBytes(payload.AsSpan(44), cookie);
        return seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq, payload);
    }

    private static Func<uint, byte[]> Short => seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq, new byte[40]);

    private static byte[] Done(uint seq) => Nl.Done(seq);

    private static (List<InetDiagRecord> Records, List<InventoryWarning> Warnings) Dump(ScriptedDiagChannel channel)
    {
        var warnings = new List<InventoryWarning>();
        var records = new InetDiagDump().Dump(channel, InetDiagParser.FamilyInet, InetDiagRequest.Tcp, uint.MaxValue, warnings);
        return (records, warnings);
    }

    [Fact]
    public void Records_are_deduplicated_on_inode_and_cookie_but_inode_zero_records_are_all_kept()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10, cookie: 1), Rec(10, cookie: 1), Rec(10, cookie: 2))
            .Reply(Rec(0, cookie: 3), Rec(0, cookie: 3), Done);
        var (records, warnings) = Dump(channel);
        Assert.Equal([(10u, 1ul), (10u, 2ul), (0u, 3ul), (0u, 3ul)], records.Select(r => (r.Inode, r.Cookie)));
        Assert.Empty(warnings);
        Assert.Single(channel.Requests);
    }

    [Fact]
    public void Enobufs_three_times_gives_up_with_a_warning_naming_the_protocol()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10)).Fail(Errno.ENOBUFS)
            .Reply(Rec(10)).Fail(Errno.ENOBUFS)
            .Reply(Rec(10)).Fail(Errno.ENOBUFS);
        var (_, warnings) = Dump(channel);
        Assert.Equal(3, channel.Requests.Count);
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.DumpIncomplete, w.Code);
        Assert.Equal("TCP/IPv4 dump lost replies 3 times in a row; the list may be incomplete", w.Message);
    }

    [Fact]
    public void An_error_before_any_record_makes_the_dump_unavailable_and_one_after_keeps_the_records()
    {
        var refused = new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, Errno.ENOENT));
        var e = Assert.Throws<DiagUnavailableException>(() => Dump(refused));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.StartsWith("sock_diag refused the TCP/IPv4 dump: ", e.Message, StringComparison.Ordinal);

        var midway = new ScriptedDiagChannel().Reply(Rec(10), Rec(11)).Reply(seq => Nl.Error(seq, Errno.ENOMEM));
        var (records, warnings) = Dump(midway);
        Assert.Equal([10u, 11u], records.Select(r => r.Inode));
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.DumpIncomplete, w.Code);
        Assert.StartsWith("TCP/IPv4 dump failed midway: ", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_record_is_skipped_with_a_warning_and_the_rest_kept()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10), Short, Rec(11), Done);
        var (records, warnings) = Dump(channel);
        Assert.Equal([10u, 11u], records.Select(r => r.Inode));
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.DumpMalformed, w.Code);
        Assert.StartsWith("a malformed TCP/IPv4 record was skipped", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_reply_grows_the_buffer_and_restarts()
    {
        var channel = new ScriptedDiagChannel()
            .ReplyTruncated(Rec(10))
            .Reply(Rec(10), Rec(11), Done);
        var (records, warnings) = Dump(channel);
        Assert.Equal([10u, 11u], records.Select(r => r.Inode));
        Assert.Empty(warnings);
        Assert.Equal(2, channel.Requests.Count);
        Assert.True(channel.ReceiveBufferLengths[^1] > channel.ReceiveBufferLengths[0]);
    }
}
