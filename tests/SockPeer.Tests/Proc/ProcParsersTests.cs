using System.Buffers.Binary;
using System.Text;
using SockPeer.Interop;
using SockPeer.Proc;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Proc;

public class ProcParsersTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    internal static byte[] Fixture(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", file));

    [Theory]
    [InlineData("socket:[12345]", true, 12345u)]
    [InlineData("socket:[0]", true, 0u)]
    [InlineData("socket:[007]", true, 7u)]
    [InlineData("socket:[4294967295]", true, 4294967295u)]
    [InlineData("socket:[4294967296]", false, 0u)]                    // one past u32
    [InlineData("socket:[18446744073709551615]", false, 0u)]          // u64 max
    [InlineData("socket:[18446744073709551616]", false, 0u)]          // past u64
    [InlineData("socket:[30000000000000000000]", false, 0u)]          // past u64, wraps to a larger number
    [InlineData("socket:[123456789012345678901234]", false, 0u)]      // too long
    [InlineData("socket:[123", false, 0u)]                            // missing bracket
    [InlineData("socket:123]", false, 0u)]
    [InlineData("socket:[]", false, 0u)]
    [InlineData("socket:[", false, 0u)]
    [InlineData("socket:", false, 0u)]
    [InlineData("socket:[12a45]", false, 0u)]                         // junk
    [InlineData("socket:[-1]", false, 0u)]
    [InlineData("socket:[+1]", false, 0u)]
    [InlineData("socket:[ 1]", false, 0u)]
    [InlineData("socket:[1 ]", false, 0u)]
    [InlineData("socket:[1]\n", false, 0u)]
    [InlineData("socket:[1]x", false, 0u)]
    [InlineData("socket:[1]]", false, 0u)]
    [InlineData("socket:[\uff11]", false, 0u)]                         // a fullwidth digit
    [InlineData("Socket:[1]", false, 0u)]
    [InlineData("pipe:[12345]", false, 0u)]
    [InlineData("anon_inode:[eventpoll]", false, 0u)]
    [InlineData("/run/user/1000/bus", false, 0u)]
    [InlineData("", false, 0u)]
    public void Socket_link(string link, bool ok, uint inode)
    {
        Assert.Equal(ok, ProcParsers.TryParseSocketLink(B(link), out uint parsed));
        Assert.Equal(inode, parsed);
    }

    [Theory]
    [InlineData("net:[4026531840]", true, 4026531840ul)]
    [InlineData("net:[4026532281]", true, 4026532281ul)]
    [InlineData("net:[18446744073709551615]", true, ulong.MaxValue)]
    [InlineData("net:[18446744073709551616]", false, 0ul)]             // one past u64
    [InlineData("net:[30000000000000000000]", false, 0ul)]             // past u64; x10 wraps to a larger number
    [InlineData("net:[99999999999999999999]", false, 0ul)]
    [InlineData("net:[4026531840", false, 0ul)]
    [InlineData("net:[]", false, 0ul)]
    [InlineData("net:[abc]", false, 0ul)]
    [InlineData("net:4026531840", false, 0ul)]
    [InlineData("mnt:[4026531840]", false, 0ul)]
    [InlineData("socket:[4026531840]", false, 0ul)]
    public void Net_namespace_link(string link, bool ok, ulong inode)
    {
        bool parsed = ProcParsers.TryParseNetNsLink(B(link), out ulong value);

        Assert.Equal(ok, parsed);
        if (ok)
        {
            Assert.Equal(inode, value);
        }
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("1", true, 1)]
    [InlineData("4194304", true, 4194304)]
    [InlineData("2147483647", true, int.MaxValue)]
    [InlineData("0000000001", true, 1)]
    [InlineData("2147483648", false, 0)]
    [InlineData("9999999999", false, 0)]
    [InlineData("12345678901", false, 0)]
    [InlineData("", false, 0)]
    [InlineData("-1", false, 0)]
    [InlineData("+1", false, 0)]
    [InlineData("1a", false, 0)]
    [InlineData(" 1", false, 0)]
    [InlineData("self", false, 0)]
    [InlineData("thread-self", false, 0)]
    public void Decimal_directory_name(string text, bool ok, int value)
    {
        Assert.Equal(ok, ProcParsers.TryParseDecimal(B(text), out int parsed));
        Assert.Equal(value, parsed);
    }

    [Fact]
    public void Status_real_sample()
    {
        // /proc/self/status of a python3 process on kernel 6.18, as read.
        Assert.True(ProcParsers.TryParseStatus(Fixture("proc-self-status.txt"), out int ppid, out uint uid));
        Assert.Equal(22383, ppid);
        Assert.Equal(0u, uid);
    }

    [Theory]
    [InlineData("Name:\tx\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\n", 1, 1000u)]          // the real uid, not the effective one
    [InlineData("PPid:\t0\nUid:\t0\t0\t0\t0", 0, 0u)]                                       // no final newline
    [InlineData("Uid:\t65534\t65534\t65534\t65534\nPPid:\t42\n", 42, 65534u)]              // order does not matter
    [InlineData("PPid: 7\nUid: 5 5 5 5\n", 7, 5u)]                                          // spaces instead of tabs
    [InlineData("PPid:\t7\nUid:\t4294967294\t4294967294\t4294967294\t4294967294\n", 7, 4294967294u)] // uid_t is 32 bits
    [InlineData("PPid:\t7\nUid:\t2147483648\t0\t0\t0\n", 7, 2147483648u)]
    [InlineData("PPid:\t7\nUid:\t1000\n", 7, 1000u)]                                       // one field only
    public void Status_fields(string status, int ppid, uint uid)
    {
        Assert.True(ProcParsers.TryParseStatus(B(status), out int p, out uint u));
        Assert.Equal(ppid, p);
        Assert.Equal(uid, u);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n")]     // no PPid
    [InlineData("Name:\tx\nPPid:\t1\n")]                          // no Uid
    [InlineData("PPid:\t\nUid:\t1000\n")]                         // empty PPid
    [InlineData("PPid:\tabc\nUid:\t1000\n")]
    [InlineData("PPid:\t1\nUid:\tabc\t1\n")]
    [InlineData("PPid:\t1\nUid:\t-1\n")]
    [InlineData("PPid:\t1\nUid:\t4294967296\n")]                  // past uid_t
    [InlineData("TracerPid:\t1\nRuid:\t1000\n")]                  // look-alike keys
    public void Status_missing_or_bad_fields_is_false(string status)
    {
        Assert.False(ProcParsers.TryParseStatus(B(status), out _, out _));
    }

    [Fact]
    public void Status_truncated_mid_line_still_finds_earlier_fields()
    {
        byte[] full = Fixture("proc-self-status.txt");
        int cut = Encoding.ASCII.GetString(full).IndexOf("Gid:", StringComparison.Ordinal);

        Assert.True(ProcParsers.TryParseStatus(full.AsSpan(0, cut + 2), out int ppid, out _));
        Assert.Equal(22383, ppid);
        Assert.False(ProcParsers.TryParseStatus(full.AsSpan(0, cut - 10), out _, out _)); // cut inside the Uid line's fields
    }

    [Theory]
    [InlineData("pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t1739570\nscm_fds: 0\n", true, 0)] // real 6.18 sample
    [InlineData("pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t1739570\nscm_fds: 3\n", true, 3)]
    [InlineData("pos:\t0\nflags:\t02\nscm_fds:\t12", true, 12)]
    [InlineData("pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t1739570\n", false, 0)]            // before 5.6, or not a unix socket
    [InlineData("", false, 0)]
    [InlineData("scm_fds: x\n", false, 0)]
    [InlineData("scm_fds:\n", false, 0)]
    [InlineData("pos:\t0\n  scm_fds: 4\n", false, 0)]                                           // not at a line start
    public void Fdinfo_scm_fds(string fdinfo, bool ok, int count)
    {
        Assert.Equal(ok, ProcParsers.TryParseScmFds(B(fdinfo), out int n));
        Assert.Equal(count, n);
    }

    [Theory]
    [InlineData("707974686f6e3300 2d6300 7072696e74283129 00", new[] { "python3", "-c", "print(1)" })] // NUL-terminated
    [InlineData("707974686f6e3300 2d63", new[] { "python3", "-c" })]                                   // no trailing NUL
    [InlineData("", new string[0])]
    [InlineData("00", new[] { "" })]
    [InlineData("61 00 00 62 00", new[] { "a", "", "b" })]                                          // empty argument kept
    [InlineData("7373 6864 3a20 7573 6572 4070 7473 2f30", new[] { "sshd: user@pts/0" })]           // setproctitle, one string
    [InlineData("ff fe 61 00 63 c3 00", new[] { "\uFFFD\uFFFDa", "c\uFFFD" })]                      // invalid UTF-8 and a cut sequence
    [InlineData("63 61 66 c3 a9 00", new[] { "café" })]
    public void Cmdline(string hex, string[] expected)
    {
        Assert.Equal(expected, ProcParsers.ParseCmdline(Hex.Bytes(hex)));
    }

    [Theory]
    [InlineData("bash\n", "bash")]
    [InlineData("kworker/0:1\n", "kworker/0:1")]
    [InlineData("x", "x")]
    [InlineData("", "")]
    [InlineData("\n", "")]
    [InlineData("a b\n\n", "a b\n")]
    public void Comm(string comm, string expected)
    {
        Assert.Equal(expected, ProcParsers.ParseComm(B(comm)));
    }

    [Fact]
    public void Passwd()
    {
        const string Passwd = """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            toor:x:0:0:second root:/root:/bin/sh
            # a comment
            bad
            bad2:x
            bad3:x:notanumber:0::/:/bin/false
            :x:5:5::/:/bin/false
            +::::::
            crlf:x:7:7::/:/bin/sh
            big:x:4294967294:4294967294::/:/bin/false
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            """;
        var users = ProcParsers.ParsePasswd(B(Passwd.Replace("crlf:x:7:7::/:/bin/sh", "crlf:x:7:7::/:/bin/sh\r")));

        Assert.Equal("root", users[0]);         // the first entry for a uid wins
        Assert.Equal("daemon", users[1]);
        Assert.Equal("crlf", users[7]);
        Assert.Equal("nobody", users[65534]);
        Assert.Equal("big", users[4294967294]); // uid_t is 32 bits
        Assert.False(users.ContainsKey(5));     // no name
        Assert.Equal(5, users.Count);

        // By name (the filters' --user): every name, also a second one for a uid.
        byte[] bytes = B(Passwd);
        Assert.True(ProcParsers.TryFindPasswdUid(bytes, "toor", out uint toor));
        Assert.Equal(0u, toor);
        Assert.True(ProcParsers.TryFindPasswdUid(bytes, "big", out uint big));
        Assert.Equal(4294967294u, big);
        Assert.False(ProcParsers.TryFindPasswdUid(bytes, "bad3", out _));
        Assert.False(ProcParsers.TryFindPasswdUid(bytes, "roo", out _));
        Assert.False(ProcParsers.TryFindPasswdUid(bytes, "", out _));
    }

    [Fact]
    public void Passwd_empty()
    {
        Assert.Empty(ProcParsers.ParsePasswd([]));
    }

    [Fact]
    public void Lines_split_on_newline_and_drop_only_a_final_empty_line()
    {
        var lines = new List<string>();
        foreach (var line in new LineEnumerator(B("a\n\nb\nc\n")))
        {
            lines.Add(Encoding.ASCII.GetString(line));
        }

        Assert.Equal(["a", "", "b", "c"], lines);
    }
}

public class DirentReaderTests
{
    /// <summary>One linux_dirent64 padded to 8 bytes, as getdents64 writes it.</summary>
    internal static byte[] Dirent(ulong ino, long off, byte type, string name, int? reclen = null)
    {
        byte[] n = Encoding.UTF8.GetBytes(name);
        int length = reclen ?? ((19 + n.Length + 1 + 7) & ~7);
        var d = new byte[(19 + n.Length + 1 + 7) & ~7]; // a bad reclen does not change how many bytes follow
        BinaryPrimitives.WriteUInt64LittleEndian(d, ino);
        BinaryPrimitives.WriteInt64LittleEndian(d.AsSpan(8), off);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(16), (ushort)length);
        d[18] = type;
        n.CopyTo(d, 19);
        return d;
    }

    private const byte DtDir = 4;
    private const byte DtLnk = 10;

    private static List<(string Name, byte Type)> ReadAll(ReadOnlySpan<byte> buffer)
    {
        var entries = new List<(string, byte)>();
        var reader = new DirentReader(buffer);
        while (reader.TryRead(out var name, out var nameZ, out byte type))
        {
            Assert.Equal(name.Length + 1, nameZ.Length);
            Assert.Equal(0, nameZ[^1]);
            entries.Add((Encoding.UTF8.GetString(name), type));
            Assert.True(entries.Count < 10_000, "the reader does not advance");
        }
        return entries;
    }

    [Fact]
    public void Exact_bytes_of_one_entry()
    {
        // d_ino 1, d_off 1, d_reclen 24, d_type DT_DIR, "." NUL, 3 bytes of padding.
        var entries = ReadAll(Hex.Bytes("0100000000000000 0100000000000000 1800 04 2e00 000000"));

        Assert.Equal([(".", DtDir)], entries);
    }

    [Fact]
    public void Several_entries()
    {
        byte[] buffer = [.. Dirent(1, 1, DtDir, "."), .. Dirent(1, 2, DtDir, ".."), .. Dirent(77, 3, DtLnk, "0"),
            .. Dirent(78, 4, DtLnk, "123"), .. Dirent(79, 5, DtLnk, "a-long-entry-name-of-some-length")];

        var entries = ReadAll(buffer);

        Assert.Equal([(".", DtDir), ("..", DtDir), ("0", DtLnk), ("123", DtLnk), ("a-long-entry-name-of-some-length", DtLnk)], entries);
    }

    [Fact]
    public void Reclen_past_the_end_stops_after_the_good_entries()
    {
        byte[] last = Dirent(79, 5, DtLnk, "9");
        byte[] buffer = [.. Dirent(1, 1, DtDir, "."), .. Dirent(2, 2, DtDir, ".."), .. last.AsSpan(0, last.Length - 1)];

        Assert.Equal([".", ".."], ReadAll(buffer).Select(e => e.Name));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(1000)]
    public void Bad_reclen_stops_without_looping(int reclen)
    {
        byte[] buffer = [.. Dirent(1, 1, DtDir, "."), .. Dirent(2, 2, DtDir, "x", reclen), .. Dirent(3, 3, DtDir, "y")];

        Assert.Equal(["."], ReadAll(buffer).Select(e => e.Name));
    }

    [Fact]
    public void Name_without_nul_inside_reclen_stops()
    {
        byte[] bad = Dirent(2, 2, DtDir, "abcd", reclen: 23); // 19 + "abcd": the NUL falls outside
        byte[] buffer = [.. Dirent(1, 1, DtDir, "."), .. bad, .. Dirent(3, 3, DtDir, "y")];

        Assert.Equal(["."], ReadAll(buffer).Select(e => e.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0100000000000000 0100000000000000 1800")]   // 18 bytes, shorter than any entry
    public void Short_buffer_has_no_entries(string hex)
    {
        Assert.Empty(ReadAll(Hex.Bytes(hex)));
    }

    [Fact]
    public void Real_getdents64_buffer_of_proc_self_fd()
    {
        int fd = ProcFs.OpenDirectory("/proc/self/fd");
        Assert.True(fd >= 0, $"open /proc/self/fd: {fd}");
        var names = new List<string>();
        try
        {
            var buffer = new byte[4096];
            int n;
            while ((n = ProcFs.GetDents(fd, buffer)) > 0)
            {
                names.AddRange(ReadAll(buffer.AsSpan(0, n)).Select(e => e.Name));
            }
            Assert.Equal(0, n);
        }
        finally
        {
            ProcFs.Close(fd);
        }

        Assert.Contains(".", names);
        Assert.Contains("..", names);
        Assert.Contains("0", names);
        Assert.Contains(fd.ToString(System.Globalization.CultureInfo.InvariantCulture), names);
        Assert.All(names.Where(n => n is not ("." or "..")), n => Assert.True(ProcParsers.TryParseDecimal(Encoding.ASCII.GetBytes(n), out _), n));
    }
}
