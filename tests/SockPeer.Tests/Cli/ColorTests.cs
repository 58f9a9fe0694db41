using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>A listener (shown in green on a terminal) with one accepted connection, all in one process.</summary>
public sealed class SmallListener : IDisposable
{
    public SocketScene Scene { get; } = SocketScene.Build()
        .Listen("color")
        .Connect("color", accept: 1)
        .Start();

    public int Pid => Scene.Pid;

    public string Path => Scene.Socket("color").Path!;

    public uint ClientInode => Scene.Connection("color").Client.Inode;

    public void Dispose() => Scene.Dispose();
}

/// <summary>
/// Colours only when stdout is a terminal, never with NO_COLOR (set and not empty, as no-color.org
/// says) or TERM=dumb. `script` (util-linux) gives the command a pseudo-terminal. With colours off,
/// not a single escape byte may appear, not even terminal mode switches.
/// </summary>
public class ColorTests(SmallListener listener) : IClassFixture<SmallListener>
{
    private const char Esc = '\u001b';

    private string Pid => listener.Pid.ToString();

    /// <summary>Runs `sockpeer ARGS` on a pseudo-terminal; <paramref name="environment"/> is put before it with env(1).</summary>
    private static CliResult OnTerminal(string args, string environment = "", string pipe = "")
    {
        // env -u: the test runner's own NO_COLOR or TERM must not leak in.
        var r = SockpeerCli.Bash($$"""
            env -u NO_COLOR TERM=xterm {{environment}} script -qec "'$1' {{args}} {{pipe}}" /dev/null
            """);
        Assert.True(r.Stderr.Length == 0, $"script: {r.Stderr}");
        return r;
    }

    [Fact]
    public void Not_a_terminal_no_escape_bytes()
    {
        var r = SockpeerCli.Bash($"""env -u NO_COLOR TERM=xterm "$1" list --pid {Pid}""");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(listener.Path, r.Stdout);
        Assert.DoesNotContain(Esc, r.Stdout);
        Assert.DoesNotContain(Esc, r.Stderr);
    }

    [Fact]
    public void On_a_terminal_colours()
    {
        var r = OnTerminal($"list --pid {Pid}");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"{Esc}[1mTYPE", r.Stdout);
        Assert.Contains($"{Esc}[32mlisten", r.Stdout);
    }

    [Fact]
    public void On_a_terminal_an_empty_NO_COLOR_does_not_turn_colours_off()
    {
        var r = OnTerminal($"list --pid {Pid}", environment: "NO_COLOR=");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"{Esc}[32mlisten", r.Stdout);
    }

    [Theory]
    [InlineData("list --pid PID")]
    [InlineData("--pid PID")]
    [InlineData("peer CLIENT")]
    [InlineData("who PATH")]
    [InlineData("--help")]
    public void On_a_terminal_with_NO_COLOR_no_escape_bytes(string args)
    {
        var r = OnTerminal(Expand(args), environment: "NO_COLOR=1");
        Assert.Equal(0, r.ExitCode);
        Assert.NotEmpty(r.Stdout);
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    [Fact]
    public void On_a_terminal_with_NO_COLOR_an_error_has_no_escape_bytes()
    {
        // /etc/hostname is not a socket: a failure, one "sockpeer:" line (a missing path is "not found", answered on stdout).
        var r = OnTerminal("who /etc/hostname", environment: "NO_COLOR=1");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("sockpeer: ", r.Stdout); // stderr is the terminal too
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    [Fact]
    public void On_a_terminal_with_TERM_dumb_no_escape_bytes()
    {
        var r = OnTerminal($"list --pid {Pid}", environment: "TERM=dumb");
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    [Fact]
    public void Stdout_piped_while_stdin_and_stderr_are_a_terminal_no_escape_bytes()
    {
        var r = OnTerminal($"list --pid {Pid}", pipe: "| cat");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(listener.Path, r.Stdout);
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    [Fact]
    public void Json_on_a_terminal_has_no_escape_bytes()
    {
        var r = OnTerminal($"list --pid {Pid} --json");
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain(Esc, r.Stdout);
    }

    private string Expand(string args) => args
        .Replace("PID", Pid, StringComparison.Ordinal)
        .Replace("CLIENT", listener.ClientInode.ToString(), StringComparison.Ordinal)
        .Replace("PATH", listener.Path, StringComparison.Ordinal);
}
