using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

/// <summary>/proc/net/protocols: the UNIX and UNIX-STREAM rows' socket counts, on captured and odd text.</summary>
public class ProcNetProtocolsTests
{
    private const string Header = "protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re sp bi br ha uh gp em\n";

    [Fact]
    public void Both_unix_rows_are_summed()
    {
        string text = Header
            + "PACKET    1600      0      -1   NI       0   no   kernel      n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n\n"
            + "UNIX-STREAM 1024    41      -1   NI       0   yes  kernel      n  y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n\n"
            + "UNIX      1024    101      -1   NI       0   yes  kernel      n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n\n"
            + "TCP       2432     12   4   no     320   yes  kernel      y  y  y  y  y  y  y  y  y  y  y  y  y  n  y  y  y  y  y\n";
        Assert.True(ProcNetProtocols.TryParseUnixInUse(System.Text.Encoding.ASCII.GetBytes(text), out long inUse));
        Assert.Equal(142, inUse);
    }

    [Fact]
    public void An_older_kernel_with_only_the_unix_row_is_read()
    {
        Assert.True(ProcNetProtocols.TryParseUnixInUse("UNIX      1024    7      -1   NI       0   yes  kernel\n"u8, out long inUse));
        Assert.Equal(7, inUse);
    }

    [Theory]
    [InlineData("")]
    [InlineData("protocol  size sockets\n")]
    [InlineData("UNIX\n")]
    [InlineData("UNIX 1024\n")]
    [InlineData("UNIX 1024 -5 x\n")]
    [InlineData("UNIX 1024 12abc x\n")]
    [InlineData("UNIXISH 1024 12 x\n")]
    [InlineData("UNIX 1024 99999999999999999999999 x\n")]
    public void Text_without_a_usable_unix_row_gives_no_count(string text)
    {
        Assert.False(ProcNetProtocols.TryParseUnixInUse(System.Text.Encoding.ASCII.GetBytes(text), out long inUse));
        Assert.Equal(0, inUse);
    }
}
