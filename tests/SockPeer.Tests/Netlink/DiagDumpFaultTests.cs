using SockPeer.Interop;
using SockPeer.Netlink;
using Xunit;

namespace SockPeer.Tests.Netlink;

/// <summary>DiagDump against a scripted channel that injects the faults a real netlink socket can give.</summary>
public class DiagDumpFaultTests
{
    private const UnixDiagShow Show = UnixDiagShow.Name | UnixDiagShow.Vfs | UnixDiagShow.Peer | UnixDiagShow.RqLen | UnixDiagShow.Uid;

    private static Func<uint, byte[]> Rec(uint inode, ulong? cookie = null, uint? peer = null, ushort flags = Nl.Multi)
        => seq => Nl.Record(seq, inode, cookie, peer: peer, flags: flags);

    private static byte[] Done(uint seq) => Nl.Done(seq);

    private static DiagDumpResult Dump(ScriptedDiagChannel channel) => new DiagDump().Dump(channel, UnixDiagState.All, Show);

    private static uint[] Inodes(DiagDumpResult result) => result.Records.Select(r => r.Inode).Order().ToArray();

    [Fact]
    public void Clean_dump_over_several_datagrams()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10, peer: 11), Rec(11, peer: 10))
            .Reply(Rec(12))
            .Reply(Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u, 12u], Inodes(result));
        Assert.Empty(result.Warnings);
        Assert.True(result.Complete);
        Assert.Single(channel.Requests);
        Assert.Equal(0, channel.Pending);
    }

    [Fact]
    public void Done_in_the_same_datagram_as_the_records()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10), Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData((int)Errno.EINTR)]
    [InlineData((int)Errno.EAGAIN)]
    public void Interrupted_receive_is_retried_without_a_new_request(int code)
    {
        var errno = (Errno)code; // an int parameter: a public test method cannot take the internal Errno
        var channel = new ScriptedDiagChannel()
            .Fail(errno)
            .Reply(Rec(10))
            .Fail(errno)
            .Fail(errno)
            .Reply(Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Empty(result.Warnings);
        Assert.Single(channel.Requests);
    }

    [Fact]
    public void Interrupted_send_is_retried()
    {
        var channel = new ScriptedDiagChannel()
            .FailSend(Errno.EINTR)
            .FailSend(Errno.EINTR)
            .Reply(Rec(10), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Failed_send_makes_diag_unavailable()
    {
        var channel = new ScriptedDiagChannel().FailSend(Errno.EPERM);

        var e = Assert.Throws<DiagUnavailableException>(() => Dump(channel));
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.Contains("EPERM", e.Message);
    }

    [Fact]
    public void Enobufs_mid_dump_restarts_with_a_new_sequence_and_keeps_only_the_new_attempt()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), Rec(99))       // 99 is gone by the time the dump restarts
            .Fail(Errno.ENOBUFS)
            .Reply(Rec(10), Rec(11))
            .Reply(Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Empty(result.Warnings);
        Assert.Equal(2, channel.Requests.Count);
        Assert.NotEqual(BitConverter.ToUInt32(channel.Requests[0], 8), BitConverter.ToUInt32(channel.Requests[1], 8));
    }

    [Fact]
    public void Enobufs_three_times_gives_up_with_a_warning()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10)).Fail(Errno.ENOBUFS)
            .Reply(Rec(10)).Fail(Errno.ENOBUFS)
            .Reply(Rec(10)).Fail(Errno.ENOBUFS)
            .Reply(Rec(10), Done);

        var result = Dump(channel);

        Assert.Equal(3, channel.Requests.Count);
        Assert.False(result.Complete);
        Assert.Contains(result.Warnings, w => w.Contains("lost replies 3 times", StringComparison.Ordinal));
        Assert.Equal(1, channel.Pending); // the fourth reply was never asked for
    }

    [Fact]
    public void Enobufs_before_any_record_also_restarts()
    {
        var channel = new ScriptedDiagChannel()
            .Fail(Errno.ENOBUFS)
            .Reply(Rec(10), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
        Assert.Equal(2, channel.Requests.Count);
    }

    private static Func<uint, byte[]> Big(uint firstInode, int count)
        => seq => Nl.Datagram(Enumerable.Range(0, count)
            .Select(i => Nl.Record(seq, firstInode + (uint)i, extra: Nl.Attr(UnixDiagAttribute.Name, new byte[100])))
            .ToArray());

    [Fact]
    public void Msg_trunc_grows_the_buffer_and_restarts()
    {
        // 600 records of 144 bytes: 86,400 bytes, more than the first 64 KiB buffer.
        var channel = new ScriptedDiagChannel()
            .Reply(Big(1000, 600))
            .Reply(Big(1000, 600))
            .Reply(Done);

        var result = Dump(channel);

        Assert.Equal(600, result.Records.Count);
        Assert.Empty(result.Warnings);
        Assert.Equal(2, channel.Requests.Count);
        Assert.Equal(64 * 1024, channel.ReceiveBufferLengths[0]);
        Assert.True(channel.ReceiveBufferLengths[1] >= 86_400);
    }

    [Fact]
    public void Grown_buffer_is_kept_for_the_next_dump()
    {
        var dump = new DiagDump();
        var first = new ScriptedDiagChannel().Reply(Big(1000, 600)).Reply(Big(1000, 600)).Reply(Done);
        dump.Dump(first, UnixDiagState.All, Show);
        var second = new ScriptedDiagChannel().Reply(Big(1000, 600)).Reply(Done);

        var result = dump.Dump(second, UnixDiagState.All, Show);

        Assert.Equal(600, result.Records.Count);
        Assert.Single(second.Requests);
    }

    [Fact]
    public void Msg_trunc_flag_on_a_datagram_that_fit_still_restarts()
    {
        var channel = new ScriptedDiagChannel()
            .ReplyTruncated(Rec(10))
            .Reply(Rec(10), Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Equal(2, channel.Requests.Count);
    }

    [Fact]
    public void Reply_larger_than_a_quarter_mebibyte_is_read_after_the_buffer_grows_again()
    {
        // 2,000 records of 144 bytes: 288,000 bytes. The buffer must grow 64 → 128 → 256 → 512 KiB;
        // growing is not a lost reply and must not use up the restarts ENOBUFS gets.
        var channel = new ScriptedDiagChannel()
            .Reply(Big(1000, 2000))
            .Reply(Big(1000, 2000))
            .Reply(Big(1000, 2000))
            .Reply(Big(1000, 2000))
            .Reply(Done);

        var result = Dump(channel);

        Assert.Empty(result.Warnings);
        Assert.Equal(2000, result.Records.Count);
    }

    [Fact]
    public void Reply_too_large_even_for_one_mebibyte_gives_a_warning()
    {
        // 7,500 records of 144 bytes: 1,080,000 bytes, just over 1 MiB.
        var channel = new ScriptedDiagChannel();
        for (int i = 0; i < 6; i++)
        {
            channel.Reply(Big(1000, 7500));
        }

        var result = Dump(channel);

        Assert.False(result.Complete);
        Assert.Contains(result.Warnings, w => w.Contains("did not fit in 1 MiB", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData((int)Errno.ENOENT)]
    [InlineData((int)Errno.EPROTONOSUPPORT)]
    [InlineData((int)Errno.EACCES)]
    public void Nlmsg_error_as_the_first_reply_makes_diag_unavailable(int code)
    {
        var errno = (Errno)code; // an int parameter: a public test method cannot take the internal Errno
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, errno));

        var e = Assert.Throws<DiagUnavailableException>(() => Dump(channel));
        Assert.Equal(errno, e.Errno);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public void Receive_error_before_any_record_makes_diag_unavailable()
    {
        var channel = new ScriptedDiagChannel().Fail(Errno.EBADF);

        var e = Assert.Throws<DiagUnavailableException>(() => Dump(channel));
        Assert.Equal(Errno.EBADF, e.Errno);
    }

    [Fact]
    public void Nlmsg_error_mid_dump_keeps_the_records_so_far_with_a_warning()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), Rec(11))
            .Reply(seq => Nl.Error(seq, Errno.ENOMEM));

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.False(result.Complete);
        Assert.Contains(result.Warnings, w => w.Contains("failed midway", StringComparison.Ordinal) && w.Contains("errno 12", StringComparison.Ordinal));
    }

    [Fact]
    public void Receive_error_mid_dump_keeps_the_records_so_far_with_a_warning()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10))
            .Fail(Errno.EBADF);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Contains(result.Warnings, w => w.Contains("stopped early", StringComparison.Ordinal));
    }

    [Fact]
    public void Ack_with_error_zero_is_not_an_error()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(seq => Nl.Error(seq, Errno.None))
            .Reply(Rec(10), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Dump_interrupted_flag_gives_one_warning_and_keeps_every_record()
    {
        const ushort Interrupted = Nl.Multi | NetlinkMessageReader.FlagDumpInterrupted;
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), Rec(11, flags: Interrupted))
            .Reply(Rec(12, flags: Interrupted), seq => Nl.Done(seq, Interrupted));

        var result = Dump(channel);

        Assert.Equal([10u, 11u, 12u], Inodes(result));
        Assert.Single(result.Warnings);
        Assert.Contains("interrupted", result.Warnings[0]);
        Assert.False(result.Complete);
    }

    [Fact]
    public void Warnings_of_an_abandoned_attempt_are_not_reported_for_the_restarted_one()
    {
        const ushort Interrupted = Nl.Multi | NetlinkMessageReader.FlagDumpInterrupted;
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10, flags: Interrupted), seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq, [1, 1]))
            .Fail(Errno.ENOBUFS)
            .Reply(Rec(10), Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Empty(result.Warnings);
        Assert.True(result.Complete);
    }

    [Fact]
    public void Duplicate_records_are_deduplicated_on_inode_and_cookie()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10, cookie: 1), Rec(11, cookie: 2))
            .Reply(Rec(10, cookie: 1), Rec(11, cookie: 2), Rec(12, cookie: 3))
            .Reply(Rec(10, cookie: 1), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u, 12u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Same_inode_with_another_cookie_is_another_socket()
    {
        // Inode numbers are reused: a socket closed and a new one opened during the dump.
        var channel = new ScriptedDiagChannel().Reply(Rec(10, cookie: 1), Rec(10, cookie: 7), Done);

        var result = Dump(channel);

        Assert.Equal([1ul, 7ul], result.Records.Select(r => r.Cookie).Order());
    }

    [Fact]
    public void Records_with_inode_zero_are_left_out()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(0), Rec(10), Rec(0, cookie: 5), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Malformed_record_is_skipped_with_a_warning_and_the_rest_kept()
    {
        byte[] BadAttribute(uint seq) => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq,
            Nl.DiagPayload(1, 1, 20, 20, [0x10, 0x00, 0x02, 0x00, 0, 0, 0, 0])); // PEER claims 16 bytes, has 8
        byte[] WrongFamily(uint seq)
        {
            var payload = Nl.DiagPayload(1, 1, 21, 21);
            payload[0] = 2;
            return Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq, payload);
        }
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), BadAttribute, Rec(11))
            .Reply(WrongFamily, Rec(12), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u, 12u], Inodes(result));
        Assert.Equal(2, result.Warnings.Count);
        Assert.All(result.Warnings, w => Assert.StartsWith("a malformed sock_diag record was skipped", w));
        Assert.Contains(result.Warnings, w => w.Contains("length 16", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("not AF_UNIX", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_datagram_is_skipped_with_a_warning_and_the_dump_goes_on()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(seq => Nl.Datagram(Nl.Record(seq, 10), [0x40, 0, 0, 0, 20, 0, 2, 0, 1, 0, 0, 0])) // then a cut header
            .Reply(Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Single(result.Warnings);
        Assert.Contains("malformed sock_diag reply", result.Warnings[0]);
    }

    [Fact]
    public void Short_error_payload_is_a_malformed_reply_not_a_crash()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), seq => Nl.Message(NetlinkMessageReader.TypeError, 0, seq, [0xfe, 0xff]))
            .Reply(Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Contains(result.Warnings, w => w.Contains("NLMSG_ERROR payload", StringComparison.Ordinal));
    }

    [Fact]
    public void Replies_with_a_stale_sequence_number_are_ignored()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(seq => Nl.Record(seq - 1, 99), Rec(10), seq => Nl.Record(seq + 1000, 98))
            .Reply(seq => Nl.Error(seq - 1, Errno.ENOENT))   // an abandoned attempt's error
            .Reply(seq => Nl.Done(seq - 1))                  // and its end
            .Reply(Rec(11), Done);

        var result = Dump(channel);

        Assert.Equal([10u, 11u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Stale_replies_from_an_abandoned_attempt_do_not_leak_into_the_restart()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), Rec(11))
            .Fail(Errno.ENOBUFS)
            .Reply(seq => Nl.Record(seq - 1, 97), seq => Nl.Done(seq - 1)) // the first attempt's tail
            .Reply(Rec(10), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Zero_byte_receive_ends_the_dump_with_a_warning_instead_of_hanging()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10)).ReplyBytes([]);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Contains(result.Warnings, w => w.Contains("without NLMSG_DONE", StringComparison.Ordinal));
    }

    [Fact]
    public void Channel_that_only_returns_zero_bytes_gives_an_empty_incomplete_dump()
    {
        var channel = new ScriptedDiagChannel();

        var result = Dump(channel);

        Assert.Empty(result.Records);
        Assert.False(result.Complete);
    }

    [Fact]
    public void Unknown_message_types_are_ignored()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(seq => Nl.Message(NetlinkMessageReader.TypeOverrun, 0, seq, []), Rec(10),
                seq => Nl.Message(1, 0, seq, [1, 2, 3, 4]), Done);

        var result = Dump(channel);

        Assert.Equal([10u], Inodes(result));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Sequence_numbers_increase_between_dumps_on_one_instance()
    {
        var dump = new DiagDump();
        var a = new ScriptedDiagChannel().Reply(Rec(10), Done);
        var b = new ScriptedDiagChannel().Reply(Rec(10), Done);

        dump.Dump(a, UnixDiagState.All, Show);
        dump.Dump(b, UnixDiagState.All, Show);

        Assert.True(b.Sequence > a.Sequence);
    }

    // QueryOne: a single socket by inode.

    [Fact]
    public void Query_one_returns_the_record()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Record(seq, 10, flags: 0, peer: 11));

        var r = new DiagDump().QueryOne(channel, 10, ulong.MaxValue, Show, out Errno error);

        Assert.Equal(Errno.None, error);
        Assert.Equal(10u, r!.Inode);
        Assert.Equal(11u, r.Peer);
        Assert.Equal(1, BitConverter.ToUInt16(channel.Requests[0], 6)); // NLM_F_REQUEST only
    }

    [Theory]
    [InlineData((int)Errno.ENOENT)]
    [InlineData((int)Errno.ESTALE)]
    [InlineData((int)Errno.EMSGSIZE)]
    public void Query_one_returns_the_kernel_errno(int code)
    {
        var errno = (Errno)code; // an int parameter: a public test method cannot take the internal Errno
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, errno));

        var r = new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error);

        Assert.Null(r);
        Assert.Equal(errno, error);
    }

    [Fact]
    public void Query_one_skips_stale_replies_and_retries_eintr()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(seq => Nl.Record(seq - 1, 99, flags: 0))
            .Fail(Errno.EINTR)
            .Reply(seq => Nl.Record(seq, 10, flags: 0));

        var r = new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error);

        Assert.Equal(Errno.None, error);
        Assert.Equal(10u, r!.Inode);
    }

    [Fact]
    public void Query_one_refuses_a_record_of_another_inode()
    {
        // Right sequence number, wrong socket: taking it would attach socket 99's peer to socket 10.
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Record(seq, 99, flags: 0, peer: 11));

        var r = new DiagDump().QueryOne(channel, 10, ulong.MaxValue, Show, out Errno error);

        Assert.Null(r);
        Assert.Equal(Errno.EINVAL, error);
    }

    [Fact]
    public void Query_one_truncated_reply_is_emsgsize()
    {
        var channel = new ScriptedDiagChannel().ReplyTruncated(seq => Nl.Record(seq, 10, flags: 0));

        Assert.Null(new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error));
        Assert.Equal(Errno.EMSGSIZE, error);
    }

    [Fact]
    public void Query_one_malformed_reply_is_einval_not_an_exception()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, 0, seq, [1, 1, 1]));

        Assert.Null(new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error));
        Assert.Equal(Errno.EINVAL, error);
    }

    [Fact]
    public void Query_one_receive_error_is_returned()
    {
        var channel = new ScriptedDiagChannel().Fail(Errno.ENOBUFS);

        Assert.Null(new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error));
        Assert.Equal(Errno.ENOBUFS, error);
    }

    [Fact]
    public void Query_one_on_a_channel_that_returns_zero_bytes_does_not_hang()
    {
        var channel = new ScriptedDiagChannel { MaxReceivesPastEnd = 100 };

        var r = new DiagDump().QueryOne(channel, 10, 5, Show, out Errno error);

        Assert.Null(r);
        Assert.Equal(Errno.EINVAL, error);
        Assert.Single(channel.ReceiveBufferLengths);
    }
}
