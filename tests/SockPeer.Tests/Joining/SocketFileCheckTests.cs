using SockPeer.Interop;
using SockPeer.Joining;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Joining;

/// <summary>The socket-file status with a scripted probe in place of stat.</summary>
public class SocketFileCheckTests
{
    private const uint Device = (8u << 20) | 3; // 8:3
    private static readonly SocketHolder[] Holder = [new(42, 3)];

    private sealed class Probe(Errno asHolder, FileIdentity holderFile, Errno here = Errno.ENOENT, FileIdentity hereFile = default) : ISocketFileProbe
    {
        public List<string> Calls { get; } = [];

        public Errno StatAsHolder(int pid, byte[] name, out FileIdentity file)
        {
            Calls.Add($"holder {pid} {System.Text.Encoding.UTF8.GetString(name)}");
            file = holderFile;
            return asHolder;
        }

        public Errno StatHere(byte[] name, out FileIdentity file)
        {
            Calls.Add($"here {System.Text.Encoding.UTF8.GetString(name)}");
            file = hereFile;
            return here;
        }
    }

    [Theory]
    [InlineData((int)Errno.None, 77ul, SocketFileStatus.Ok)]
    [InlineData((int)Errno.None, 78ul, SocketFileStatus.Replaced)]
    [InlineData((int)Errno.ENOENT, 0ul, SocketFileStatus.Deleted)]
    [InlineData((int)Errno.ENOTDIR, 0ul, SocketFileStatus.Deleted)]
    [InlineData((int)Errno.EINVAL, 0ul, SocketFileStatus.Unknown)]
    public void An_absolute_path_is_judged_in_the_holders_view(int code, ulong found, SocketFileStatus expected)
    {
        var errno = (Errno)code; // an int parameter: a public test method cannot take the internal Errno
        var probe = new Probe(errno, new FileIdentity(8, 3, found));
        Assert.Equal(expected, new SocketFileCheck(probe).Check("/run/a.sock"u8.ToArray(), Device, 77, Holder));
        Assert.Equal(["holder 42 /run/a.sock"], probe.Calls);
    }

    [Fact]
    public void Denied_in_the_holders_view_an_absolute_path_is_tried_from_here()
    {
        var probe = new Probe(Errno.EACCES, default, Errno.None, new FileIdentity(8, 3, 77));
        Assert.Equal(SocketFileStatus.Ok, new SocketFileCheck(probe).Check("/run/a.sock"u8.ToArray(), Device, 77, Holder));
        Assert.Equal(["holder 42 /run/a.sock", "here /run/a.sock"], probe.Calls);
    }

    [Fact]
    public void A_relative_path_is_never_called_deleted_or_replaced()
    {
        // The holder's cwd now may not be where it bound the name.
        Assert.Equal(SocketFileStatus.Unknown, new SocketFileCheck(new Probe(Errno.ENOENT, default)).Check("a.sock"u8.ToArray(), Device, 77, Holder));
        Assert.Equal(SocketFileStatus.Unknown, new SocketFileCheck(new Probe(Errno.None, new FileIdentity(8, 3, 78))).Check("a.sock"u8.ToArray(), Device, 77, Holder));
    }

    [Fact]
    public void One_answer_per_holder_name_and_file_within_a_snapshot()
    {
        var probe = new Probe(Errno.None, new FileIdentity(8, 3, 77));
        var check = new SocketFileCheck(probe);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(SocketFileStatus.Ok, check.Check("/run/a.sock"u8.ToArray(), Device, 77, Holder));
        }
        Assert.Single(probe.Calls);
        Assert.Equal(SocketFileStatus.Replaced, check.Check("/run/a.sock"u8.ToArray(), Device, 79, Holder)); // another file bound there earlier
        Assert.Equal(2, probe.Calls.Count);
    }

    [Fact]
    public void The_same_name_and_file_held_by_another_process_is_judged_again_in_its_view()
    {
        // A holder in another mount namespace (a container) may see another file, or none, at that path.
        var probe = new Probe(Errno.None, new FileIdentity(8, 3, 77));
        var check = new SocketFileCheck(probe);
        check.Check("/run/a.sock"u8.ToArray(), Device, 77, Holder);
        check.Check("/run/a.sock"u8.ToArray(), Device, 77, [new(43, 5)]);
        check.Check("/run/a.sock"u8.ToArray(), Device, 77, [new(43, 6)]);
        Assert.Equal(["holder 42 /run/a.sock", "holder 43 /run/a.sock"], probe.Calls);
    }

    [Fact]
    public void Abstract_names_and_disabled_checks_are_unknown_without_any_stat()
    {
        var probe = new Probe(Errno.None, new FileIdentity(8, 3, 77));
        Assert.Equal(SocketFileStatus.Unknown, new SocketFileCheck(probe).Check([0, (byte)'x'], Device, 77, Holder));
        Assert.Equal(SocketFileStatus.Unknown, SocketFileCheck.Disabled.Check("/run/a.sock"u8.ToArray(), Device, 77, Holder));
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public void Sockets_bound_to_one_file_share_one_record_and_different_files_do_not()
    {
        // Every end accepted from a listener carries the listener's name and file: one record serves them all.
        var check = new SocketFileCheck(new Probe(Errno.None, new FileIdentity(8, 3, 77) { Mode = 0xC1ED, Uid = 0, Gid = 0 }));
        var first = check.File("/run/a.sock"u8.ToArray(), Device, 77, Holder);
        var second = check.File("/run/a.sock"u8.ToArray(), Device, 77, [new(43, 5)]);
        Assert.Same(first, second);
        Assert.Equal(new SocketFile(8, 3, 77, SocketFileStatus.Ok) { Mode = 0x1ED, Uid = 0, Gid = 0 }, first);

        var replaced = check.File("/run/a.sock"u8.ToArray(), Device, 79, Holder);
        Assert.Equal(SocketFileStatus.Replaced, replaced.Status);
        Assert.Equal(79UL, replaced.Inode);
        Assert.NotSame(first, replaced);
        Assert.Same(replaced, check.File("/run/a.sock"u8.ToArray(), Device, 79, Holder));
    }
}
