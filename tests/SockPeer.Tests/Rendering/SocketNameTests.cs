using System.Text;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Rendering;

/// <summary>The display rule for name bytes (a parser-level rule over bytes): plain names as they are, everything else escaped.</summary>
public class SocketNameTests
{
    [Theory]
    [InlineData("/run/app.sock", "/run/app.sock")]
    [InlineData("/tmp/a b~!#$%&'()*+,-.:;<=>?[]^_`{|}.sock", "/tmp/a b~!#$%&'()*+,-.:;<=>?[]^_`{|}.sock")]
    [InlineData("@lead", "\\x40lead")]
    [InlineData("/back\\slash", "/back\\\\slash")]
    [InlineData("/new\nline", "/new\\nline")]
    [InlineData("/tab\there", "/tab\\there")]
    [InlineData("/del\u007F", "/del\\x7f")]
    [InlineData("/caf\u00e9", "/caf\u00e9")]
    [InlineData("", "")]
    public void Pathnames(string name, string shown) => Assert.Equal(shown, SocketName.Display(Encoding.UTF8.GetBytes(name)));

    [Fact]
    public void Abstract_names_begin_with_an_at_sign_and_invalid_utf8_is_escaped()
    {
        Assert.Equal("@dbus", SocketName.Display("\0dbus"u8));
        Assert.Equal("@@x", SocketName.Display("\0@x"u8)); // only a pathname's leading '@' is escaped
        Assert.Equal("/bad\\xff", SocketName.Display([(byte)'/', (byte)'b', (byte)'a', (byte)'d', 0xFF]));
    }

    /// <summary>Every single printable byte after a slash: the fast path for plain names agrees with the escaping rule.</summary>
    [Fact]
    public void Every_ascii_byte_is_shown_as_the_rule_says()
    {
        for (int b = 0; b < 0x80; b++)
        {
            string shown = SocketName.Display([(byte)'/', (byte)b]);
            string expected = b switch
            {
                '\\' => "/\\\\",
                '\n' => "/\\n",
                '\t' => "/\\t",
                '\r' => "/\\r",
                < 0x20 or 0x7F => "/\\x" + b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture),
                _ => "/" + (char)b,
            };
            Assert.Equal(expected, shown);
        }
    }
}
