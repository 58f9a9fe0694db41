using System.Globalization;
using System.Numerics;
using System.Text;
using CsCheck;
using SockPeer.Proc;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Proc;

/// <summary>The /proc parsers never throw, whatever the bytes, and round-trip what the kernel writes.</summary>
public class ProcPropertyTests
{
    private static readonly string[] Fragments =
    [
        "socket:[", "net:[", "]", "[", "0", "1", "9", "4294967295", "18446744073709551615", "\n", "\t", " ", ":", "@", "\0",
        "PPid:", "Uid:", "scm_fds:", "Num", "00010000", "0001", "01", "0000000000000000:", "x", "/", "\xff", "\r",
    ];

    /// <summary>Byte strings made of the tokens the parsers look for, so random input gets past their first checks.</summary>
    private static readonly Gen<byte[]> Tokens = Gen.Int[0, Fragments.Length - 1].Array[0, 40]
        .Select(ix => Encoding.Latin1.GetBytes(string.Concat(ix.Select(i => Fragments[i]))));

    private static readonly Gen<byte[]> AnyBytes = Gen.OneOf(Gen.Byte.Array[0, 300], Tokens);

    private static void EveryParser(byte[] bytes)
    {
        Assert.True(ProcParsers.TryParseDecimal(bytes, out int d) || d == 0);
        Assert.True(ProcParsers.TryParseSocketLink(bytes, out uint inode) || inode == 0);
        _ = ProcParsers.TryParseNetNsLink(bytes, out _);
        _ = ProcParsers.TryParseStatus(bytes, out _, out _);
        Assert.True(ProcParsers.TryParseScmFds(bytes, out int fds) || fds == 0);
        Assert.All(ProcParsers.ParseCmdline(bytes), a => Assert.NotNull(a));
        Assert.NotNull(ProcParsers.ParseComm(bytes));
        Assert.NotNull(ProcParsers.ParsePasswd(bytes));
        var entries = ProcNetUnix.Parse(bytes, out int malformed);
        Assert.True(malformed >= 0);
        Assert.All(entries, e => Assert.NotEqual(0u, e.Inode));
        Assert.True(entries.Count + malformed <= bytes.Count(b => b == (byte)'\n') + 1);
        int dirents = 0;
        var reader = new DirentReader(bytes);
        while (reader.TryRead(out var name, out var nameZ, out _))
        {
            Assert.True(++dirents <= bytes.Length / 20, "the dirent reader does not advance");
            Assert.Equal(name.Length + 1, nameZ.Length);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        AnyBytes.Sample(EveryParser, iter: 10_000);
    }

    [Fact]
    public void Mutated_real_samples_never_throw()
    {
        byte[][] samples =
        [
            ProcParsersTests.Fixture("proc-net-unix-sample.txt"),
            ProcParsersTests.Fixture("proc-self-status.txt"),
            "pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t1739570\nscm_fds: 0\n"u8.ToArray(),
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"u8.ToArray(),
            "socket:[1745091]"u8.ToArray(),
            [.. DirentReaderTests.Dirent(1, 1, 4, "."), .. DirentReaderTests.Dirent(2, 2, 4, ".."), .. DirentReaderTests.Dirent(3, 3, 10, "17")],
        ];
        Gen.Select(Gen.Int[0, samples.Length - 1], Gen.Int[0, 6], Gen.Int[0, int.MaxValue], Gen.Int, Gen.Byte.Array[0, 48])
            .Select((which, kind, position, value, extra) => NetlinkPropertyTests.Mutate(samples[which], kind, position, value, extra))
            .Sample(EveryParser, iter: 10_000);
    }

    [Fact]
    public void Socket_link_round_trips_every_u32_and_refuses_larger_numbers()
    {
        Gen.ULong.Sample(n =>
        {
            bool ok = ProcParsers.TryParseSocketLink(Encoding.ASCII.GetBytes($"socket:[{n}]"), out uint inode);
            Assert.Equal(n <= uint.MaxValue, ok);
            Assert.Equal(ok ? (uint)n : 0u, inode);
        }, iter: 10_000);
        Gen.UInt.Sample(n =>
        {
            Assert.True(ProcParsers.TryParseSocketLink(Encoding.ASCII.GetBytes($"socket:[{n}]"), out uint inode));
            Assert.Equal(n, inode);
        }, iter: 10_000);
    }

    [Fact]
    public void Namespace_link_agrees_with_big_integer_arithmetic()
    {
        // As the kernel prints it (%u, no leading zeros), up to one digit past u64.
        Gen.Select(Gen.Char['1', '9'], Gen.Char['0', '9'].Array[0, 20]).Sample((first, rest) =>
        {
            string text = first + new string(rest);
            var exact = BigInteger.Parse(text, CultureInfo.InvariantCulture);
            bool ok = ProcParsers.TryParseNetNsLink(Encoding.ASCII.GetBytes($"net:[{text}]"), out ulong value);
            Assert.Equal(exact <= ulong.MaxValue, ok);
            if (ok)
            {
                Assert.Equal((ulong)exact, value);
            }
        }, iter: 10_000);
    }

    [Fact]
    public void Decimal_agrees_with_big_integer_arithmetic()
    {
        Gen.Char['0', '9'].Array[1, 12].Sample(digits =>
        {
            var exact = BigInteger.Parse(new string(digits), CultureInfo.InvariantCulture);
            bool ok = ProcParsers.TryParseDecimal(Encoding.ASCII.GetBytes(digits), out int value);
            Assert.Equal(digits.Length <= 10 && exact <= int.MaxValue, ok);
            Assert.Equal(ok ? (int)exact : 0, value);
        }, iter: 10_000);
    }

    [Fact]
    public void Status_round_trips_ppid_and_real_uid()
    {
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.UInt[0, 4294967294], Gen.UInt).Sample((ppid, uid, euid) =>
        {
            string status = $"Name:\tx\nState:\tS (sleeping)\nTgid:\t5\nPid:\t5\nPPid:\t{ppid}\nTracerPid:\t0\nUid:\t{uid}\t{euid}\t{euid}\t{euid}\n";
            Assert.True(ProcParsers.TryParseStatus(Encoding.ASCII.GetBytes(status), out int p, out uint u));
            Assert.Equal(ppid, p);
            Assert.Equal(uid, u);
        }, iter: 5_000);
    }

    [Fact]
    public void Cmdline_round_trips_arguments_joined_with_nul()
    {
        Gen.String[Gen.Char.Where(c => c != '\0' && !char.IsSurrogate(c)), 0, 12].Array[1, 8].Sample(args =>
        {
            byte[] cmdline = Encoding.UTF8.GetBytes(string.Join('\0', args) + "\0");
            Assert.Equal(args, ProcParsers.ParseCmdline(cmdline));
        }, iter: 5_000);
    }

    [Fact]
    public void Proc_net_unix_round_trips_rows_as_the_kernel_prints_them()
    {
        // net/unix/af_unix.c unix_seq_show: "%pK: %08X %08X %08X %04X %02X %5lu" then " " + name, with every
        // NUL of an abstract name printed as '@'.
        var name = Gen.Frequency(
            (1, Gen.Const((byte[]?)null)),
            (2, Gen.Byte[32, 255].Where(b => b != 127).Array[1, 60].Select(b => (byte[]?)b)),
            (2, Gen.Byte.Where(b => b != (byte)'\n').Array[0, 60].Select(b => (byte[]?)[0, .. b])));
        var row = Gen.Select(Gen.UInt[1, uint.MaxValue], Gen.OneOfConst(1, 2, 5), Gen.Int[1, 4], Gen.Bool, name, Gen.UInt[1, 9]);
        row.Array[0, 20].Sample(rows =>
        {
            var text = new List<byte>(Encoding.ASCII.GetBytes("Num       RefCount Protocol Flags    Type St Inode Path\n"));
            foreach (var (inode, type, st, listening, path, refs) in rows)
            {
                text.AddRange(Encoding.ASCII.GetBytes(
                    $"{0:x16}: {refs:X8} {0:X8} {(listening ? 0x10000 : 0):X8} {type:X4} {st:X2} {inode,5}"));
                if (path is not null)
                {
                    text.Add((byte)' ');
                    text.AddRange(path.Select(b => b == 0 ? (byte)'@' : b));
                }
                text.Add((byte)'\n');
            }

            var entries = ProcNetUnix.Parse([.. text], out int malformed);

            Assert.Equal(0, malformed);
            Assert.Equal(rows.Length, entries.Count);
            for (int i = 0; i < rows.Length; i++)
            {
                var (inode, type, st, listening, path, _) = rows[i];
                Assert.Equal(inode, entries[i].Inode);
                Assert.Equal(type, entries[i].Type);
                Assert.Equal(st, entries[i].SocketState);
                Assert.Equal(listening, entries[i].Listening);
                // Inner NULs of an abstract name come back as '@': the file cannot tell them apart.
                byte[]? expected = path is null ? null : path.Select((b, j) => j > 0 && b == 0 ? (byte)'@' : b).ToArray();
                if (expected is [(byte)'@', ..])
                {
                    expected[0] = 0; // a relative pathname starting with '@' reads back as abstract: the file cannot tell
                }
                Assert.Equal(expected, entries[i].Path);
            }
        }, iter: 2_000);
    }

    [Fact]
    public void Dirents_round_trip()
    {
        var entry = Gen.Select(Gen.ULong, Gen.Byte, Gen.Byte[1, 255].Where(b => b != (byte)'/').Array[1, 255]);
        entry.Array[0, 30].Sample(entries =>
        {
            var buffer = new List<byte>();
            long off = 0;
            foreach (var (ino, type, name) in entries)
            {
                buffer.AddRange(Dirent(ino, ++off, type, name));
            }

            var reader = new DirentReader(buffer.ToArray());
            int i = 0;
            while (reader.TryRead(out var name, out byte type))
            {
                Assert.Equal(entries[i].Item3, name.ToArray());
                Assert.Equal(entries[i].Item2, type);
                i++;
            }
            Assert.Equal(entries.Length, i);
        }, iter: 2_000);
    }

    private static byte[] Dirent(ulong ino, long off, byte type, byte[] name)
    {
        int reclen = (19 + name.Length + 1 + 7) & ~7;
        var d = new byte[reclen];
        BitConverter.TryWriteBytes(d.AsSpan(0), ino);
        BitConverter.TryWriteBytes(d.AsSpan(8), off);
        BitConverter.TryWriteBytes(d.AsSpan(16), (ushort)reclen);
        d[18] = type;
        name.CopyTo(d, 19);
        return d;
    }
}
