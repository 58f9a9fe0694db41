using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>`sockpeer watch`'s human lines: colours on a terminal (`script` gives one), never with NO_COLOR or through a pipe.</summary>
public class WatchColorTests(SmallListener listener) : IClassFixture<SmallListener>
{
    private const char Esc = '\u001b';

    private string Args => $"watch --initial --duration 300ms --interval 100ms --path {listener.Path}";

    private static Infrastructure.CliResult OnTerminal(string args, string environment = "")
        => SockpeerCli.Bash($$"""
            env -u NO_COLOR TERM=xterm {{environment}} script -qec "'$1' {{args}}" /dev/null
            """);

    [Fact]
    public void On_a_terminal_colours()
    {
        var r = OnTerminal(Args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("exists", r.Stdout);
        Assert.Contains(Esc, r.Stdout);
    }

    [Fact]
    public void With_NO_COLOR_on_a_terminal_no_escape_bytes()
    {
        var r = OnTerminal(Args, "NO_COLOR=1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("exists", r.Stdout);
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    [Fact]
    public void Through_a_pipe_no_escape_bytes()
    {
        var r = SockpeerCli.Bash($"""env -u NO_COLOR TERM=xterm "$1" {Args} | cat""");
        Assert.Contains("exists", r.Stdout);
        Assert.Contains(listener.Path, r.Stdout);
        Assert.DoesNotContain(Esc, r.Stdout);
    }
}

/// <summary>Bad options of `sockpeer watch`: one `sockpeer:` line, exit 2 (usage) or 1 (no such process), nothing on stdout.</summary>
public class WatchBadInputTests
{
    [Theory]
    [InlineData("--interval 10ms", "at least 50ms")]
    [InlineData("--interval 5", "a number and a unit")]
    [InlineData("--duration soon", "a number and a unit")]
    [InlineData("--count 0", "--count needs a positive number")]
    [InlineData("--type socket", "socket")]
    public void A_bad_option_is_a_usage_error(string args, string what)
    {
        var r = SockpeerCli.Run(["watch", .. args.Split(' ')]);
        SockpeerCli.AssertOneErrorLine(r, 2, what);
    }

    [Fact]
    public void A_pid_that_does_not_exist_fails()
    {
        var r = SockpeerCli.Run("watch", "--pid", HostFacts.UnusedPid().ToString());
        SockpeerCli.AssertOneErrorLine(r, 1, "no process");
    }
}
