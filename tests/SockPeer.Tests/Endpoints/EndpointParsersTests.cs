using SockPeer.Endpoints;
using Xunit;

namespace SockPeer.Tests.Endpoints;

public class EndpointParsersTests
{
    [Theory]
    [InlineData("pipe:[4026532]", true, 4026532ul)]
    [InlineData("pipe:[18446744073709551615]", true, ulong.MaxValue)]
    [InlineData("pipe:[18446744073709551616]", false, 0ul)]
    [InlineData("pipe:[]", false, 0ul)]
    [InlineData("pipe:[12", false, 0ul)]
    [InlineData("socket:[12]", false, 0ul)]
    public void Pipe_links(string link, bool ok, ulong inode)
    {
        Assert.Equal(ok, EndpointParsers.TryParsePipeLink(System.Text.Encoding.ASCII.GetBytes(link), out ulong got));
        Assert.Equal(inode, got);
    }

    [Theory]
    [InlineData("/dev/pts/7", true, 7)]
    [InlineData("/dev/pts/ptmx", false, 0)]
    [InlineData("/dev/pts/", false, 0)]
    [InlineData("/dev/ptsx/1", false, 0)]
    public void Pts_links(string link, bool ok, int index)
    {
        Assert.Equal(ok, EndpointParsers.TryParsePtsLink(System.Text.Encoding.ASCII.GetBytes(link), out int got));
        Assert.Equal(index, got);
    }

    [Fact]
    public void Ptmx_links()
    {
        Assert.True(EndpointParsers.IsPtmxLink("/dev/ptmx"u8));
        Assert.True(EndpointParsers.IsPtmxLink("/dev/pts/ptmx"u8));
        Assert.False(EndpointParsers.IsPtmxLink("/dev/pts/3"u8));
    }

    [Fact]
    public void Tty_index_from_a_pty_master_fdinfo()
    {
        Assert.True(EndpointParsers.TryParseTtyIndex("pos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t2\ntty-index:\t12\n"u8, out int index));
        Assert.Equal(12, index);
        Assert.False(EndpointParsers.TryParseTtyIndex("pos:\t0\nflags:\t02\n"u8, out _));
    }

    [Theory]
    [InlineData("flags:\t0100000\n", EndpointAccess.Read)]
    [InlineData("pos:\t0\nflags:\t02000001\n", EndpointAccess.Write)]
    [InlineData("flags:\t02\n", EndpointAccess.ReadWrite)]
    public void Access_from_fdinfo_flags(string fdinfo, EndpointAccess access)
    {
        Assert.True(EndpointParsers.TryParseFdInfoAccess(System.Text.Encoding.ASCII.GetBytes(fdinfo), out var got));
        Assert.Equal(access, got);
    }

    [Theory]
    [InlineData(0xA140, EndpointAccess.Read)]      // lr-x------
    [InlineData(0xA0C0, EndpointAccess.Write)]     // l-wx------
    [InlineData(0xA1C0, EndpointAccess.ReadWrite)] // lrwx------
    public void Access_from_the_fd_links_own_mode(int mode, EndpointAccess access)
        => Assert.Equal(access, EndpointParsers.AccessFromLinkMode((ushort)mode));

    /// <summary>The link's mode and fdinfo's flags say the same thing, on real fds of this process.</summary>
    [Fact]
    public void Link_mode_agrees_with_fdinfo_flags_on_real_pipes()
    {
        using var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        using var client = new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.In, server.ClientSafePipeHandle);
        int w = (int)server.SafePipeHandle.DangerousGetHandle();
        int r = (int)client.SafePipeHandle.DangerousGetHandle();
        foreach (var (fd, expected) in new[] { (r, EndpointAccess.Read), (w, EndpointAccess.Write) })
        {
            var info = File.ReadAllBytes($"/proc/self/fdinfo/{fd}");
            Assert.True(EndpointParsers.TryParseFdInfoAccess(info, out var fromFlags));
            Assert.Equal(expected, fromFlags);
            // `stat` without -L reports the link itself, whose owner bits the walk reads
            var stat = SockPeer.Tests.Infrastructure.ChildProcess.Run("stat", ["-c", "%f", $"/proc/{Environment.ProcessId}/fd/{fd}"], TimeSpan.FromSeconds(30));
            Assert.Equal(0, stat.ExitCode);
            var mode = Convert.ToUInt16(stat.Stdout.Trim(), 16);
            Assert.Equal(expected, EndpointParsers.AccessFromLinkMode(mode));
        }
    }
}
