using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Netlink;

public class InetDiagParserTests
{
    // inet_diag_msg, AF_INET, state 1, timer 0, retrans 0; sport 0x1f90 (8080) dport 0xa3c2 (41922), big-endian;
    // src 127.0.0.1, dst 127.0.0.2, rest of the 16-byte fields zero; if 0; cookie {7, 0};
    // expires 0, rqueue 3, wqueue 4, uid 1000, inode 0x00abcdef.
    private const string V4 = "02 01 00 00 | 1f 90 a3 c2 | 7f 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 | 7f 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 "
        + "| 00 00 00 00 | 07 00 00 00 00 00 00 00 | 00 00 00 00 | 03 00 00 00 | 04 00 00 00 | e8 03 00 00 | ef cd ab 00";
    // AF_INET6 listener (state 10) on [::1]:443, rqueue 2 pending, wqueue 128 backlog.
    private const string V6Listener = "0a 0a 00 00 | 01 bb 00 00 | 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 | 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
        + "| 00 00 00 00 | 00 00 00 00 00 00 00 00 | 00 00 00 00 | 02 00 00 00 | 80 00 00 00 | 00 00 00 00 | 10 00 00 00";

    [Fact]
    public void Ipv4_record_has_ports_big_endian_and_the_rest_host_order()
    {
        var r = InetDiagParser.Parse(Hex.Bytes(V4), InetDiagRequest.Tcp);
        Assert.Equal(InetDiagParser.FamilyInet, r.Family);
        Assert.Equal(1, r.State);
        Assert.Equal(8080, r.SourcePort);
        Assert.Equal(41922, r.DestinationPort);
        Assert.Equal("127.0.0.1", r.Source.ToString());
        Assert.Equal("127.0.0.2:41922", r.Destination.WithPort(r.DestinationPort));
        Assert.Equal(7ul, r.Cookie);
        Assert.Equal(3u, r.RQueue);
        Assert.Equal(4u, r.WQueue);
        Assert.Equal(1000u, r.Uid);
        Assert.Equal(0x00abcdefu, r.Inode);
    }

    [Fact]
    public void Ipv6_listener_keeps_accept_queue_and_backlog()
    {
        var r = InetDiagParser.Parse(Hex.Bytes(V6Listener), InetDiagRequest.Tcp);
        Assert.Equal(10, r.State);
        Assert.Equal("[::1]:443", r.Source.WithPort(r.SourcePort));
        Assert.True(r.Destination.IsAny);
        Assert.Equal(2u, r.RQueue);
        Assert.Equal(128u, r.WQueue);
    }

    [Fact]
    public void V4_mapped_ipv6_address_equals_the_ipv4_one()
    {
        Assert.True(InetAddress.TryParse("::ffff:127.0.0.1", out var mapped));
        Assert.True(InetAddress.TryParse("127.0.0.1", out var v4));
        Assert.Equal(v4, mapped);
        Assert.True(mapped.IsLoopback);
        Assert.Equal("127.0.0.1:80", mapped.WithPort(80));
    }

    [Theory]
    [InlineData(71)]
    [InlineData(0)]
    public void Short_payload_is_a_format_error(int length)
        => Assert.Throws<NetlinkFormatException>(() => InetDiagParser.Parse(Hex.Bytes(V4).AsSpan(0, length), InetDiagRequest.Tcp));

    [Fact]
    public void Other_family_is_a_format_error()
    {
        var bytes = Hex.Bytes(V4);
        bytes[0] = 1;
        Assert.Throws<NetlinkFormatException>(() => InetDiagParser.Parse(bytes, InetDiagRequest.Tcp));
    }

    [Fact]
    public void Dump_request_is_nlmsghdr_plus_inet_diag_req_v2()
    {
        var d = new byte[InetDiagRequest.Length];
        InetDiagRequest.WriteDump(d, 9, InetDiagParser.FamilyInet6, InetDiagRequest.Udp, 0xFFFFFFFF);
        // nlmsghdr: len 72, type 20 SOCK_DIAG_BY_FAMILY, flags REQUEST|DUMP, seq 9, pid 0
        Assert.Equal("48000000" + "1400" + "0103" + "09000000" + "00000000", Hex.Of(d.AsSpan(0, 16)));
        // inet_diag_req_v2: family AF_INET6, protocol UDP, ext 0, pad, states, then a zero sockid (48 bytes)
        Assert.Equal("0a110000" + "ffffffff" + new string('0', 96), Hex.Of(d.AsSpan(16)));
    }
}
