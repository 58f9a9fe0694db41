using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

public class ProcLinkOverflowTests
{
    [Theory]
    [InlineData("net:[4026531840]", true, 4026531840UL)]
    [InlineData("net:[18446744073709551615]", true, ulong.MaxValue)]
    [InlineData("net:[18446744073709551616]", false, 0UL)]
    // Found by fuzz/run.sh links: value * 10 wrapped to a number above value, so the old check let it through.
    [InlineData("net:[43283741464726531033]", false, 0UL)]
    [InlineData("net:[99999999999999999999]", false, 0UL)]
    [InlineData("net:[]", false, 0UL)]
    public void NetNsLink_rejects_numbers_that_do_not_fit_64_bits(string link, bool ok, ulong inode)
    {
        Assert.Equal(ok, ProcParsers.TryParseNetNsLink(System.Text.Encoding.ASCII.GetBytes(link), out ulong got));
        if (ok)
        {
            Assert.Equal(inode, got);
        }
    }

    [Theory]
    [InlineData("socket:[12345]", true, 12345U)]
    [InlineData("socket:[4294967295]", true, uint.MaxValue)]
    [InlineData("socket:[4294967296]", false, 0U)]
    [InlineData("socket:[18446744073709551617]", false, 0U)]
    public void SocketLink_accepts_only_32_bit_inodes(string link, bool ok, uint inode)
    {
        Assert.Equal(ok, ProcParsers.TryParseSocketLink(System.Text.Encoding.ASCII.GetBytes(link), out uint got));
        if (ok)
        {
            Assert.Equal(inode, got);
        }
    }
}
