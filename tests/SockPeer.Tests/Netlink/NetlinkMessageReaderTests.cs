using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Netlink;

public class NetlinkMessageReaderTests
{
    // len 20, type SOCK_DIAG_BY_FAMILY, flags NLM_F_MULTI, seq 7, pid 0x5854, payload aabbccdd.
    private const string Record20 = "14 00 00 00 | 14 00 | 02 00 | 07 00 00 00 | 54 58 00 00 | aa bb cc dd";
    // len 17 (one payload byte), padded to 20 in the datagram.
    private const string Odd17 = "11 00 00 00 | 14 00 | 02 00 | 07 00 00 00 | 00 00 00 00 | ee | 00 00 00";
    // NLMSG_DONE with its int 0.
    private const string Done = "14 00 00 00 | 03 00 | 02 00 | 07 00 00 00 | 00 00 00 00 | 00 00 00 00";

    [Fact]
    public void Reads_header_fields_and_payload()
    {
        var reader = new NetlinkMessageReader(Hex.Bytes(Record20));

        Assert.True(reader.TryRead(out var m));
        Assert.Equal(NetlinkMessageReader.TypeSockDiagByFamily, m.Type);
        Assert.Equal(NetlinkMessageReader.FlagMulti, m.Flags);
        Assert.Equal(7u, m.Sequence);
        Assert.Equal("aabbccdd", Hex.Of(m.Payload));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void Empty_datagram_has_no_messages()
    {
        var reader = new NetlinkMessageReader([]);

        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void Header_only_message_has_an_empty_payload()
    {
        var reader = new NetlinkMessageReader(Hex.Bytes("10 00 00 00 | 03 00 | 00 00 | 01 00 00 00 | 00 00 00 00"));

        Assert.True(reader.TryRead(out var m));
        Assert.Equal(NetlinkMessageReader.TypeDone, m.Type);
        Assert.True(m.Payload.IsEmpty);
        Assert.False(reader.TryRead(out _));
    }

    [Theory]
    [InlineData(Odd17 + Done, 2)]
    [InlineData(Record20 + Odd17 + Record20 + Done, 4)]
    [InlineData("11 00 00 00 | 14 00 | 02 00 | 07 00 00 00 | 00 00 00 00 | ee", 1)] // last message unpadded
    [InlineData(Record20 + "11 00 00 00 | 14 00 | 02 00 | 07 00 00 00 | 00 00 00 00 | ee | 00", 2)] // short padding at the end
    public void Steps_by_the_aligned_length(string hex, int count)
    {
        var reader = new NetlinkMessageReader(Hex.Bytes(hex));
        var types = new List<ushort>();
        var payloadLengths = new List<int>();
        while (reader.TryRead(out var m))
        {
            types.Add(m.Type);
            payloadLengths.Add(m.Payload.Length);
        }

        Assert.Equal(count, types.Count);
        Assert.DoesNotContain(payloadLengths, l => l is not (0 or 1 or 4));
    }

    [Fact]
    public void Odd_length_payload_excludes_the_padding()
    {
        var reader = new NetlinkMessageReader(Hex.Bytes(Odd17 + Done));

        Assert.True(reader.TryRead(out var first));
        Assert.Equal("ee", Hex.Of(first.Payload));
        Assert.True(reader.TryRead(out var second));
        Assert.Equal(NetlinkMessageReader.TypeDone, second.Type);
    }

    [Theory]
    [InlineData("0c 00 00 00 | 14 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 12 is outside 16..16")]
    [InlineData("00 00 00 00 | 14 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 0 is outside 16..16")]
    [InlineData("20 00 00 00 | 14 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 32 is outside 16..16")]
    [InlineData("ff ff ff ff | 14 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 4294967295 is outside 16..16")]
    [InlineData("00 00 00 80 | 14 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 2147483648 is outside 16..16")]
    [InlineData("15 00 00 00 | 14 00 02 00 07 00 00 00 00 00 00 00 | aa bb cc dd", "netlink message length 21 is outside 16..20")]
    [InlineData("14 00 00 00 | 14 00 02 00", "8 trailing bytes are too short for a netlink header")]
    [InlineData("14", "1 trailing bytes are too short for a netlink header")]
    [InlineData(Record20 + "01 02 03", "3 trailing bytes are too short for a netlink header")]
    [InlineData(Record20 + "0c 00 00 00 | 03 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 12 is outside 16..16")]
    [InlineData(Record20 + "28 00 00 00 | 03 00 02 00 07 00 00 00 00 00 00 00", "netlink message length 40 is outside 16..16")]
    public void Malformed_datagram_throws_NetlinkFormatException_naming_the_fault(string hex, string message)
    {
        byte[] datagram = Hex.Bytes(hex);

        var e = Assert.Throws<NetlinkFormatException>(() =>
        {
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out _))
            {
            }
        });
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Messages_before_a_malformed_one_are_returned()
    {
        byte[] datagram = Hex.Bytes(Record20 + "01 02 03");
        int read = 0;

        Assert.Throws<NetlinkFormatException>(() =>
        {
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out _))
            {
                read++;
            }
        });
        Assert.Equal(1, read);
    }

    [Fact]
    public void Message_length_is_checked_against_the_datagram_not_the_backing_buffer()
    {
        // nlmsg_len 20 but the datagram is the first 16 bytes; the buffer holds the rest.
        byte[] buffer = Hex.Bytes(Record20);

        var e = Assert.Throws<NetlinkFormatException>(() =>
        {
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, 16));
            reader.TryRead(out _);
        });
        Assert.Contains("length 20 is outside 16..16", e.Message);
    }

    [Theory]
    [InlineData("fe ff ff ff", 2)]                                                // -ENOENT
    [InlineData("97 ff ff ff | 28 00 00 00 14 00 01 03 01 00 00 00 00 00 00 00", 105)] // -ENOBUFS with the request header
    [InlineData("00 00 00 00", 0)]                                                // ACK
    [InlineData("8c ff ff ff | 00", 116)]                                         // -ESTALE
    public void Error_payload_gives_the_positive_errno(string hex, int errno)
    {
        Assert.Equal(errno, NetlinkMessageReader.ReadErrorPayload(Hex.Bytes(hex)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("fe ff ff")]
    public void Error_payload_without_a_code_throws(string hex)
    {
        byte[] payload = Hex.Bytes(hex);

        var e = Assert.Throws<NetlinkFormatException>(() => NetlinkMessageReader.ReadErrorPayload(payload));
        Assert.Contains("NLMSG_ERROR payload", e.Message);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 4)]
    [InlineData(4, 4)]
    [InlineData(17, 20)]
    [InlineData(65535, 65536)]
    public void Align_rounds_up_to_four(int length, int aligned)
    {
        Assert.Equal(aligned, NetlinkMessageReader.Align(length));
    }
}

public class UnixDiagRequestTests
{
    [Theory]
    // seq 7, every state, NAME|VFS|PEER|ICONS|RQLEN|UID
    [InlineData(7u, 0xFFFFFFFFu, 0x5Fu,
        "28000000 1400 0103 07000000 00000000 | 01 00 0000 ffffffff 00000000 5f000000 ffffffff ffffffff")]
    // seq 0x01020304, listeners only (1 << 10), ICONS|RQLEN
    [InlineData(0x01020304u, 0x400u, 0x18u,
        "28000000 1400 0103 04030201 00000000 | 01 00 0000 00040000 00000000 18000000 ffffffff ffffffff")]
    // nothing shown
    [InlineData(1u, 0xFFFFFFFFu, 0u,
        "28000000 1400 0103 01000000 00000000 | 01 00 0000 ffffffff 00000000 00000000 ffffffff ffffffff")]
    public void Dump_request_matches_the_40_byte_layout(uint seq, uint states, uint show, string expected)
    {
        var request = new byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteDump(request, seq, states, (UnixDiagShow)show);

        Assert.Equal(40, UnixDiagRequest.Length);
        Assert.Equal(Hex.Of(Hex.Bytes(expected)), Hex.Of(request));
    }

    [Theory]
    // inode 12345, cookie {1, 2}, ICONS|RQLEN: NLM_F_REQUEST only, every state
    [InlineData(9u, 12345u, 0x0000000200000001ul, 0x18u,
        "28000000 1400 0100 09000000 00000000 | 01 00 0000 ffffffff 39300000 18000000 01000000 02000000")]
    // any cookie
    [InlineData(9u, 0xFFFFFFFEu, ulong.MaxValue, 0x5Fu,
        "28000000 1400 0100 09000000 00000000 | 01 00 0000 ffffffff feffffff 5f000000 ffffffff ffffffff")]
    public void Exact_request_matches_the_40_byte_layout(uint seq, uint inode, ulong cookie, uint show, string expected)
    {
        var request = new byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteExact(request, seq, inode, cookie, (UnixDiagShow)show);

        Assert.Equal(Hex.Of(Hex.Bytes(expected)), Hex.Of(request));
    }

    [Fact]
    public void Request_overwrites_stale_bytes_and_leaves_the_rest_of_a_larger_buffer()
    {
        var buffer = Enumerable.Repeat((byte)0xAA, 48).ToArray();
        UnixDiagRequest.WriteDump(buffer, 1, UnixDiagState.All, UnixDiagShow.None);

        Assert.Equal(0, buffer[18]); // pad
        Assert.Equal(0, buffer[19]);
        Assert.Equal("0000000000000000", Hex.Of(buffer.AsSpan(12, 4)) + Hex.Of(buffer.AsSpan(24, 4)));
        Assert.All(buffer[40..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void Short_buffer_is_refused()
    {
        var buffer = new byte[39];

        Assert.Throws<ArgumentException>(() => UnixDiagRequest.WriteDump(buffer, 1, UnixDiagState.All, UnixDiagShow.None));
    }
}
