using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Proc;

/// <summary>/proc/PID/stat: comm, ppid and start time, including comm with spaces and parentheses.</summary>
public class ProcStatTests
{
    [Fact]
    public void The_start_time_of_this_process_is_read_and_stays_the_same()
    {
        byte[] first = File.ReadAllBytes("/proc/self/stat");
        byte[] second = File.ReadAllBytes("/proc/self/stat");
        Assert.True(ProcStat.TryParse(first, out var comm, out int ppid, out ulong start));
        Assert.True(ProcStat.TryParse(second, out _, out _, out ulong again));
        Assert.True(ProcParsers.TryParseStatus(File.ReadAllBytes("/proc/self/status"), out int statusPpid, out _));
        Assert.Equal(statusPpid, ppid);
        Assert.Equal(ProcParsers.ParseComm(File.ReadAllBytes("/proc/self/comm")), ProcParsers.ParseComm(comm.ToArray()));
        Assert.True(start > 0);
        Assert.Equal(start, again);
    }

    [Fact]
    public void A_comm_with_spaces_and_parentheses_ends_at_the_last_parenthesis()
    {
        var text = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200\n"u8;
        Assert.True(ProcStat.TryParse(text, out var comm, out int ppid, out ulong start));
        Assert.Equal("a) b (c)"u8.ToArray(), comm.ToArray());
        Assert.Equal(17, ppid);
        Assert.Equal(987654ul, start);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (x S 17")]
    [InlineData("4242 (x) S 17 1 2 3")]
    [InlineData("4242 (x) S seventeen 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000")]
    [InlineData("4242 (x) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98x7654 1000")]
    [InlineData("4242 (x)  17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200")] // state missing (found by fuzzing)
    [InlineData("4242 (x)  S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000")]
    public void Text_that_is_not_a_stat_line_is_refused(string text)
    {
        Assert.False(ProcStat.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out _, out _, out _));
    }
}
