using System.Text;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

public class ProcNetUnixTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? PathText(ProcNetUnixEntry e) => e.Path is null ? null : Encoding.UTF8.GetString(e.Path);

    private const string Header = "Num       RefCount Protocol Flags    Type St Inode Path\n";

    [Fact]
    public void Real_sample_from_a_fresh_network_namespace()
    {
        // Kernel 6.18: a listener with one accepted and one pending client, a path with a space, a
        // datagram path with a newline, a socketpair, an abstract name with an inner NUL and an autobind name.
        var entries = ProcNetUnix.Parse(ProcParsersTests.Fixture("proc-net-unix-sample.txt"), out int malformed);
        var byInode = entries.ToDictionary(e => e.Inode);

        Assert.Equal(1, malformed);                 // "line.sock", the rest of the row the newline broke
        Assert.Equal(10, entries.Count);            // 12 rows less the broken tail and the pending server half
        Assert.DoesNotContain(entries, e => e.Inode == 0);

        var listener = byInode[1745091];
        Assert.True(listener.Listening);
        Assert.Equal(1, listener.Type);
        Assert.Equal(1, listener.SocketState);      // SS_UNCONNECTED
        Assert.Equal("/tmp/pnu/srv.sock", PathText(listener));

        var accepted = byInode[1745093];
        Assert.False(accepted.Listening);
        Assert.Equal(3, accepted.SocketState);      // SS_CONNECTED
        Assert.Equal("/tmp/pnu/srv.sock", PathText(accepted));

        Assert.Equal("/tmp/pnu/with space.sock", PathText(byInode[1745095]));
        Assert.Equal("/tmp/pnu/new", PathText(byInode[1745096])); // cut at the newline
        Assert.Equal(2, byInode[1745096].Type);

        foreach (uint unnamed in new uint[] { 1745092, 1745094, 1745098, 1745099 })
        {
            Assert.Null(byInode[unnamed].Path);
            Assert.Equal(3, byInode[unnamed].SocketState);
        }

        // Abstract: the leading '@' becomes NUL; an inner '@' stays, the file cannot tell it from a NUL.
        Assert.Equal("\0abs@name", PathText(byInode[1745097]));
        Assert.Equal(2, byInode[1745097].Type);
        Assert.Equal("\09df05", PathText(byInode[1745100]));
        Assert.Equal(5, byInode[1745100].Type);
    }

    [Theory]
    [InlineData("0000000000000000: 00000002 00000000 00010000 0001 01 12345 /run/x.sock", 12345u, 1, 1, true, "/run/x.sock")]
    [InlineData("0000000000000000: 00000002 00000000 00000000 0002 01 7 @", 7u, 2, 1, false, "\0")]
    [InlineData("0000000000000000: 00000002 00000000 00000000 0005 04 4294967295", 4294967295u, 5, 4, false, null)]
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 8  lead", 8u, 1, 1, false, " lead")] // a name starting with a space
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 9 trailing ", 9u, 1, 1, false, "trailing ")]
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01     10 /a b c", 10u, 1, 1, false, "/a b c")] // padded inode column
    [InlineData("ffff8880: 2 0 10000 1 1 11 rel/x", 11u, 1, 1, true, "rel/x")]       // short columns, relative path
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 12 /\u00e9\u00e8", 12u, 1, 1, false, "/\u00e9\u00e8")]
    public void Row(string row, uint inode, int type, int state, bool listening, string? path)
    {
        var entries = ProcNetUnix.Parse(B(Header + row + "\n"), out int malformed);

        Assert.Equal(0, malformed);
        var e = Assert.Single(entries);
        Assert.Equal(inode, e.Inode);
        Assert.Equal(type, e.Type);
        Assert.Equal(state, e.SocketState);
        Assert.Equal(listening, e.Listening);
        Assert.Equal(path, PathText(e));
    }

    [Theory]
    [InlineData("0000000000000000 00000002 00000000 00000000 0001 01 12345 /x")]   // Num without ':'
    [InlineData("0000000000000000: 00000002 00000000 0001zzzz 0001 01 12345 /x")]  // flags not hex
    [InlineData("0000000000000000: 00000002 00000000 00000000 00g1 01 12345 /x")]  // type not hex
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 xx 12345 /x")]  // state not hex
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 12a45 /x")]  // inode not decimal
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 -1 /x")]
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01 4294967296")]  // inode past u32
    [InlineData("0000000000000000: 00000002 00000000 00000000 0001 01")]             // six fields
    [InlineData("0000000000000000: 00000002 00000000 100000000 0001 01 5")]          // flags past u32
    [InlineData("line.sock")]                                                        // the tail of a broken row
    [InlineData("   ")]
    public void Malformed_row_is_counted_not_thrown(string row)
    {
        var entries = ProcNetUnix.Parse(B(Header + row + "\n0000000000000000: 00000002 00000000 00000000 0001 01 77 /ok\n"), out int malformed);

        Assert.Equal(1, malformed);
        Assert.Equal(77u, Assert.Single(entries).Inode);
    }

    [Fact]
    public void Pending_rows_with_inode_zero_are_skipped_not_malformed()
    {
        const string Text = Header
            + "0000000000000000: 00000003 00000000 00000000 0001 02     0 /tmp/pnu/srv.sock\n"
            + "0000000000000001: 00000003 00000000 00000000 0001 02 0 @abstract\n"
            + "0000000000000002: 00000002 00000000 00010000 0001 01 5 /tmp/pnu/srv.sock\n";

        var entries = ProcNetUnix.Parse(B(Text), out int malformed);

        Assert.Equal(0, malformed);
        Assert.Equal(5u, Assert.Single(entries).Inode);
    }

    [Fact]
    public void Newline_in_a_path_breaks_the_row_in_two()
    {
        const string Text = Header
            + "0000000000000000: 00000002 00000000 00000000 0001 01 6 /tmp/a\nb.sock\n"
            + "0000000000000001: 00000002 00000000 00000000 0001 01 7 /tmp/c\n";

        var entries = ProcNetUnix.Parse(B(Text), out int malformed);

        Assert.Equal(1, malformed);
        Assert.Equal(["/tmp/a", "/tmp/c"], entries.Select(PathText));
    }

    [Theory]
    [InlineData("")]
    [InlineData(Header)]
    [InlineData("Num       RefCount Protocol Flags    Type St Inode Path")]
    [InlineData("\n\n")]
    public void Nothing_to_parse(string text)
    {
        Assert.Empty(ProcNetUnix.Parse(B(text), out int malformed));
        Assert.Equal(0, malformed);
    }

    [Fact]
    public void Without_header_the_first_line_is_a_row()
    {
        var entries = ProcNetUnix.Parse(B("0000000000000000: 00000002 00000000 00000000 0001 01 3 /x"), out int malformed);

        Assert.Equal(0, malformed);
        Assert.Equal(3u, Assert.Single(entries).Inode);
    }

    [Fact]
    public void Duplicated_rows_are_returned_as_they_are()
    {
        // The file is read in pieces while sockets come and go; the reader de-duplicates, the parser does not.
        const string Row = "0000000000000000: 00000002 00000000 00000000 0001 01 3 /x\n";

        Assert.Equal(2, ProcNetUnix.Parse(B(Header + Row + Row), out _).Count);
    }

    [Fact]
    public void Real_proc_net_unix_of_this_machine_parses_without_malformed_rows_unless_a_name_has_a_newline()
    {
        // A listener of our own, whose row we know field by field.
        string dir = Directory.CreateTempSubdirectory("sockpeer-pnu-").FullName;
        string path = Path.Combine(dir, "own.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen(4);
            uint own = uint.Parse(new FileInfo($"/proc/self/fd/{listener.SafeHandle.DangerousGetHandle()}").LinkTarget!["socket:[".Length..^1]);

            byte[] text = File.ReadAllBytes("/proc/self/net/unix");
            var entries = ProcNetUnix.Parse(text, out int malformed);

            // Counted apart from the parser: every row after the header has an inode in its seventh field,
            // and rows with inode 0 (pending server halves) are left out.
            var rows = Encoding.ASCII.GetString(text).Split('\n').Skip(1).Where(l => l.Length > 0).ToArray();
            int zero = rows.Count(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 7 } f && f[6] == "0");
            // A name with a newline (another test makes one) leaves a tail that is not a row.
            int broken = rows.Count(r => !(r.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 7 } f && f[0].EndsWith(':')));
            Assert.Equal(broken, malformed);
            Assert.Equal(rows.Length, entries.Count + malformed + zero);
            var mine = Assert.Single(entries, e => e.Inode == own);
            Assert.True(mine.Listening);
            Assert.Equal(1, mine.Type);
            Assert.Equal(path, Encoding.UTF8.GetString(mine.Path!));
            Assert.All(entries, e => Assert.NotEqual(0u, e.Inode));
            Assert.All(entries, e => Assert.Contains(e.Type, new[] { 1, 2, 5 }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
