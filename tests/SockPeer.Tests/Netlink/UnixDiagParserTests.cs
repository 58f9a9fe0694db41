using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Netlink;

public class UnixDiagParserTests
{
    // unix_diag_msg: family AF_UNIX, type 1 stream, state 1 connected, pad, ino 12345, cookie {1, 2}.
    private const string Connected = "01 01 01 00 | 39 30 00 00 | 01 00 00 00 02 00 00 00";
    // The same as a listener (state 10).
    private const string Listener = "01 01 0a 00 | 39 30 00 00 | 01 00 00 00 02 00 00 00";

    private const string NamePath = "09 00 00 00 | 2f 61 2e 73 00 | 00 00 00";        // "/a.s\0" + pad
    private const string Vfs = "0c 00 01 00 | 34 12 00 00 | 01 00 80 00";             // ino 0x1234, dev 8:1 (8 << 20 | 1)
    private const string Peer = "08 00 02 00 | 3a 30 00 00";                           // 12346
    private const string Icons = "0c 00 03 00 | 3b 30 00 00 | 00 00 00 00";           // 12347, 0 (client already closed)
    private const string RqLen = "0c 00 04 00 | 05 00 00 00 | 06 00 00 00";           // rqueue 5, wqueue 6
    private const string Shutdown = "05 00 06 00 | 03 | 00 00 00";                     // both directions
    private const string Uid = "08 00 07 00 | e8 03 00 00";                            // 1000

    [Fact]
    public void Equal_names_parsed_with_one_table_share_one_array_and_other_names_do_not()
    {
        const string OtherPath = "09 00 00 00 | 2f 62 2e 73 00 | 00 00 00"; // "/b.s\0"
        const string PathWithTail = "0a 00 00 00 | 2f 61 2e 73 00 78 | 00 00"; // "/a.s\0x": the kernel's bytes after the NUL are not the name
        var names = new NameTable();
        var a = UnixDiagParser.Parse(Hex.Bytes(Connected + NamePath), names);
        var b = UnixDiagParser.Parse(Hex.Bytes(Listener + PathWithTail), names);
        var c = UnixDiagParser.Parse(Hex.Bytes(Connected + OtherPath), names);

        Assert.Same(a.Name, b.Name);
        Assert.Equal("2f612e73", Hex.Of(b.Name!));
        Assert.NotSame(a.Name, c.Name);
        Assert.Equal("2f622e73", Hex.Of(c.Name!));
        Assert.NotSame(a.Name, UnixDiagParser.Parse(Hex.Bytes(Connected + NamePath)).Name); // no table: a copy each
    }

    [Fact]
    public void Full_connected_record_with_every_attribute()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + NamePath + Vfs + Peer + RqLen + Shutdown + Uid));

        Assert.Equal(1, r.Type);
        Assert.Equal(UnixDiagState.Established, r.State);
        Assert.Equal(12345u, r.Inode);
        Assert.Equal(0x0000_0002_0000_0001ul, r.Cookie);
        Assert.Equal("2f612e73", Hex.Of(r.Name!));
        Assert.True(r.HasVfs);
        Assert.Equal(0x1234u, r.VfsInode);
        Assert.Equal((8u << 20) | 1, r.VfsDevice);
        Assert.True(r.HasPeer);
        Assert.Equal(12346u, r.Peer);
        Assert.Null(r.Icons);
        Assert.True(r.HasRqLen);
        Assert.Equal(5u, r.RQueue);
        Assert.Equal(6u, r.WQueue);
        Assert.True(r.HasShutdown);
        Assert.Equal(3, r.Shutdown);
        Assert.True(r.HasUid);
        Assert.Equal(1000u, r.Uid);
    }

    [Fact]
    public void Full_listener_record_with_pending_connections()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Listener + NamePath + Vfs + Icons + RqLen + Shutdown + Uid));

        Assert.Equal(UnixDiagState.Listen, r.State);
        Assert.False(r.HasPeer);
        Assert.Equal([12347u, 0u], r.Icons!);
        Assert.Equal(5u, r.RQueue);
    }

    [Fact]
    public void Bare_message_has_every_attribute_absent()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected));

        Assert.Equal(12345u, r.Inode);
        Assert.Null(r.Name);
        Assert.Null(r.Icons);
        Assert.False(r.HasVfs || r.HasPeer || r.HasRqLen || r.HasShutdown || r.HasUid);
    }

    [Fact]
    public void Empty_icons_attribute_is_an_empty_list_not_absent()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Listener + "04 00 03 00"));

        Assert.NotNull(r.Icons);
        Assert.Empty(r.Icons);
    }

    [Theory]
    [InlineData("09 00 00 00 | 2f 61 2e 73 00 | 00 00 00", "2f612e73")]               // pathname: trailing NUL dropped
    [InlineData("08 00 00 00 | 2f 61 2e 73", "2f612e73")]                             // pathname without NUL (lenient)
    [InlineData("0b 00 00 00 | 2f 61 00 62 63 00 00 | 00", "2f61")]                   // bytes after a pathname's NUL dropped
    [InlineData("09 00 00 00 | 00 61 62 00 63 | 00 00 00", "0061620063")]             // abstract: exact bytes, inner NUL kept
    [InlineData("0a 00 00 00 | 00 61 62 00 63 00 | 00 00", "006162006300")]           // abstract ending in NUL kept whole
    [InlineData("0a 00 00 00 | 00 39 64 66 30 35 | 00 00", "003964663035")]           // autobind "@9df05"
    [InlineData("05 00 00 00 | 00 | 00 00 00", "00")]                                 // abstract name of one NUL
    [InlineData("04 00 00 00", "")]                                                   // empty NAME
    public void Name_attribute(string attribute, string expectedName)
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + attribute));

        Assert.NotNull(r.Name);
        Assert.Equal(expectedName, Hex.Of(r.Name));
    }

    [Theory]
    [InlineData("08 00 02 80 | 3a 30 00 00")]   // NLA_F_NESTED
    [InlineData("08 00 02 40 | 3a 30 00 00")]   // NLA_F_NET_BYTEORDER
    [InlineData("08 00 02 c0 | 3a 30 00 00")]   // both
    public void Attribute_type_flag_bits_are_masked(string peerAttribute)
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + peerAttribute));

        Assert.True(r.HasPeer);
        Assert.Equal(12346u, r.Peer);
    }

    [Fact]
    public void Name_with_flag_bits_is_still_a_name()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + "09 00 00 80 | 2f 61 2e 73 00 | 00 00 00"));

        Assert.Equal("2f612e73", Hex.Of(r.Name!));
    }

    [Theory]
    [InlineData("08 00 09 00 | de ad be ef")]                                       // newer than this code
    [InlineData("0c 00 05 00 | 01 00 00 00 02 00 00 00")]                           // MEMINFO, not parsed
    [InlineData("04 00 ff 3f")]                                                     // empty, highest type
    [InlineData("07 00 20 00 | aa bb cc | 00")]                                     // odd length, padded
    [InlineData("08 00 09 80 | de ad be ef")]                                       // unknown with a flag bit
    public void Unknown_attribute_is_skipped_and_the_next_one_read(string unknown)
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + unknown + Peer + Uid));

        Assert.Equal(12346u, r.Peer);
        Assert.Equal(1000u, r.Uid);
    }

    [Fact]
    public void Last_attribute_without_padding_at_the_end_of_the_payload()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + Peer + "05 00 06 00 | 02"));

        Assert.Equal(2, r.Shutdown);
        Assert.Equal(12346u, r.Peer);
    }

    [Fact]
    public void Repeated_attribute_keeps_the_last_value()
    {
        var r = UnixDiagParser.Parse(Hex.Bytes(Connected + Peer + "08 00 02 00 | 00 00 00 00"));

        Assert.True(r.HasPeer);
        Assert.Equal(0u, r.Peer);
    }

    [Theory]
    [InlineData("", "unix_diag_msg needs 16 bytes, got 0")]
    [InlineData("01 01 01 00 | 39 30 00", "unix_diag_msg needs 16 bytes, got 7")]
    [InlineData("01 01 01 00 | 39 30 00 00 | 01 00 00 00 02 00 00", "unix_diag_msg needs 16 bytes, got 15")]
    [InlineData("02 01 01 00 | 39 30 00 00 | 01 00 00 00 02 00 00 00", "family 2 is not AF_UNIX")]
    [InlineData(Connected + "02 00 02 00", "attribute 2 length 2 is outside 4..4")]
    [InlineData(Connected + "00 00 02 00 | 3a 30 00 00", "attribute 2 length 0 is outside 4..8")]
    [InlineData(Connected + "03 00 07 00 | 00 00 00 00", "attribute 7 length 3 is outside 4..8")]
    [InlineData(Connected + "10 00 02 00 | 3a 30 00 00", "attribute 2 length 16 is outside 4..8")]
    [InlineData(Connected + "ff ff 00 00 | 2f 61 00 00", "attribute 0 length 65535 is outside 4..8")]
    [InlineData(Connected + Peer + "0c 00 07 00 | e8 03 00 00", "attribute 7 length 12 is outside 4..8")]
    [InlineData(Connected + "0a 00 03 00 | 3b 30 00 00 01 02 | 00 00", "ICONS length 6 is not a multiple of 4")]
    [InlineData(Connected + "05 00 03 00 | 3b | 00 00 00", "ICONS length 1 is not a multiple of 4")]
    [InlineData(Connected + "08 00 01 00 | 34 12 00 00", "attribute 1 has 4 bytes, needs 8")]
    [InlineData(Connected + "04 00 02 00", "attribute 2 has 0 bytes, needs 4")]
    [InlineData(Connected + "07 00 02 00 | 3a 30 00 | 00", "attribute 2 has 3 bytes, needs 4")]
    [InlineData(Connected + "08 00 04 00 | 05 00 00 00", "attribute 4 has 4 bytes, needs 8")]
    [InlineData(Connected + "04 00 06 00", "attribute 6 has 0 bytes, needs 1")]
    [InlineData(Connected + "06 00 07 00 | e8 03 | 00 00", "attribute 7 has 2 bytes, needs 4")]
    [InlineData(Connected + Peer + "01 02", "2 trailing bytes after the attributes")]
    [InlineData(Connected + "08", "1 trailing bytes after the attributes")]
    public void Malformed_payload_throws_NetlinkFormatException_naming_the_fault(string hex, string message)
    {
        byte[] payload = Hex.Bytes(hex);

        var e = Assert.Throws<NetlinkFormatException>(() => UnixDiagParser.Parse(payload));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Attribute_length_is_checked_against_the_payload_not_the_backing_buffer()
    {
        // The PEER header claims 8 bytes; only its 4-byte header is inside the payload, and the
        // buffer goes on with the value. The parser must not look past the slice it was given.
        byte[] buffer = Hex.Bytes(Connected + Peer);
        byte[] bytes = buffer; // the lambda cannot capture a span

        var e = Assert.Throws<NetlinkFormatException>(() => UnixDiagParser.Parse(bytes.AsSpan(0, bytes.Length - 4)));
        Assert.Contains("attribute 2 length 8 is outside 4..4", e.Message);
    }

    [Fact]
    public void Record_from_a_real_dump_parses_through_the_message_reader()
    {
        // The accepted socket of the captured fixture: NAME (path + NUL), VFS, PEER, RQLEN, SHUTDOWN, UID.
        const string Message = """
            80 00 00 00 14 00 02 00 01 00 00 00 58 54 00 00
            01 01 01 00 31 81 12 00 37 c5 02 00 00 00 00 00
            2f 00 00 00 2f 74 6d 70 2f 73 6f 63 6b 70 65 65
            72 2d 66 69 78 74 75 72 65 2d 6b 75 35 66 70 36
            78 70 2f 73 65 72 76 65 72 2e 73 6f 63 6b 00 00
            0c 00 01 00 93 e2 b1 00 00 00 e0 0f 08 00 02 00
            30 81 12 00 0c 00 04 00 00 00 00 00 00 00 00 00
            05 00 06 00 00 00 00 00 08 00 07 00 00 00 00 00
            """;
        var reader = new NetlinkMessageReader(Hex.Bytes(Message));

        Assert.True(reader.TryRead(out var m));
        Assert.Equal(NetlinkMessageReader.TypeSockDiagByFamily, m.Type);
        Assert.Equal(NetlinkMessageReader.FlagMulti, m.Flags);
        var r = UnixDiagParser.Parse(m.Payload);
        Assert.False(reader.TryRead(out _));

        Assert.Equal(0x128131u, r.Inode);
        Assert.Equal(0x2c537ul, r.Cookie);
        Assert.Equal("/tmp/sockpeer-fixture-ku5fp6xp/server.sock", System.Text.Encoding.ASCII.GetString(r.Name!));
        Assert.Equal(0xb1e293u, r.VfsInode);
        Assert.Equal(0x0fe00000u, r.VfsDevice); // 254:0 (device-mapper), major << 20
        Assert.Equal(0x128130u, r.Peer);
        Assert.True(r.HasRqLen);
        Assert.Equal(0, r.Shutdown);
        Assert.True(r.HasUid);
        Assert.Equal(0u, r.Uid);
    }
}
