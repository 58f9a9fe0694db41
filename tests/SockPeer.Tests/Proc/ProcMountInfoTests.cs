using System.Text;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

public class ProcMountInfoTests
{
    // Lines as kernels print them: 6.x names the hidepid mode, 5.7 and older print a number.
    private const string HidePidInvisible = "65 44 0:39 / /tmp/x rw,relatime - proc proc rw,hidepid=invisible";
    private const string HidePidNumeric = "24 1 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw,hidepid=2";
    private const string PlainProc = "22 28 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw";
    private const string SubsetAndGid = "66 65 0:40 / /proc rw,relatime shared:1 master:3 - proc proc rw,gid=27,hidepid=ptraceable,subset=pid";
    private const string HidePidOff = "67 65 0:41 / /srv/proc rw,relatime - proc proc rw,hidepid=off";
    private const string Escaped = @"70 44 0:45 / /tmp/with\040space\134x rw - proc none rw,hidepid=noaccess";
    private const string Ext4 = "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro";

    private static MountInfoLine Parse(string line)
    {
        Assert.True(ProcMountInfo.TryParseLine(Encoding.UTF8.GetBytes(line), out var entry), line);
        return entry;
    }

    [Fact]
    public void Parses_mount_point_type_and_superblock_options()
    {
        var e = Parse(HidePidInvisible);
        Assert.Equal("/tmp/x", e.MountPoint);
        Assert.Equal("proc", e.FsType);
        Assert.Equal("rw,hidepid=invisible", e.SuperOptions);
        var ext4 = Parse(Ext4);
        Assert.Equal("/", ext4.MountPoint);
        Assert.Equal("ext4", ext4.FsType);
    }

    [Fact]
    public void Optional_fields_before_the_separator_are_skipped()
    {
        var e = Parse(SubsetAndGid);
        Assert.Equal("/proc", e.MountPoint);
        Assert.Equal("proc", e.FsType);
        Assert.Equal("rw,gid=27,hidepid=ptraceable,subset=pid", e.SuperOptions);
    }

    [Fact]
    public void Octal_escapes_in_the_mount_point_are_undone()
        => Assert.Equal("/tmp/with space\\x", Parse(Escaped).MountPoint);

    [Theory]
    [InlineData(HidePidInvisible, "invisible")]
    [InlineData(HidePidNumeric, "2")]
    [InlineData(SubsetAndGid, "ptraceable")]
    [InlineData(Escaped, "noaccess")]
    [InlineData(PlainProc, null)]
    [InlineData(HidePidOff, null)]
    public void HidePid_is_the_mode_when_processes_are_hidden(string line, string? expected)
        => Assert.Equal(expected, ProcMountInfo.HidePid(Parse(line).SuperOptions));

    [Fact]
    public void HidePid_zero_means_not_hidden()
        => Assert.Null(ProcMountInfo.HidePid("rw,hidepid=0"));

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("1 2 3 4 5 6")]
    [InlineData("1 2 3 4 5 6 7 8")]
    [InlineData("65 44 0:39 / /tmp/x rw,relatime -")]
    public void Malformed_lines_are_rejected_without_throwing(string line)
        => Assert.False(ProcMountInfo.TryParseLine(Encoding.UTF8.GetBytes(line), out _));

    [Fact]
    public void FindMount_takes_the_topmost_mount_at_a_point()
    {
        string file = string.Join('\n', Ext4, PlainProc, "bad line", HidePidNumeric, HidePidInvisible) + "\n";
        var proc = ProcMountInfo.FindMount(Encoding.UTF8.GetBytes(file), "/proc");
        Assert.NotNull(proc);
        Assert.Equal("rw,hidepid=2", proc.Value.SuperOptions);
        Assert.Equal("rw,hidepid=invisible", ProcMountInfo.FindMount(Encoding.UTF8.GetBytes(file), "/tmp/x")!.Value.SuperOptions);
        Assert.Null(ProcMountInfo.FindMount(Encoding.UTF8.GetBytes(file), "/tmp"));
        Assert.Null(ProcMountInfo.FindMount([], "/proc"));
    }
}
