using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>A python process holding about 2000 socketpairs: more output than a pipe buffer holds.</summary>
public sealed class ManySocketPairs : IDisposable
{
    public const int Wanted = 2000;

    public Scenario Scenario { get; } = Scenario.Start($$"""
        import resource
        want = 2 * {{Wanted}} + 64
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        n = min({{Wanted}}, (limit - 64) // 2)
        pairs = [socket.socketpair() for _ in range(n)]
        ready(pairs=n, first=ino(pairs[0][0]))
        hold()
        """);

    public void Dispose() => Scenario.Dispose();
}

/// <summary>
/// A reader that goes away early (`| head -1`, `| true`) ends the command quietly: exit status 0
/// (read with PIPESTATUS) and nothing on stderr, for the human view and for JSON.
/// </summary>
public class PipeTests(ManySocketPairs pairs) : IClassFixture<ManySocketPairs>
{
    [Fact]
    public void The_scenario_alone_overflows_a_pipe_buffer()
    {
        Assert.True(pairs.Scenario.Int("pairs") >= 1000, $"only {pairs.Scenario.Int("pairs")} socketpairs: RLIMIT_NOFILE could not be raised");
        string pid = pairs.Scenario.Pid.ToString();
        var human = SockpeerCli.Run("list", "--pid", pid);
        Assert.Equal(0, human.ExitCode);
        Assert.True(human.Stdout.Length > 128 * 1024, $"human output is only {human.Stdout.Length} bytes");
        var json = SockpeerCli.Run("list", "--pid", pid, "--json");
        Assert.Equal(0, json.ExitCode);
        Assert.True(json.Stdout.Length > 1024 * 1024, $"JSON output is only {json.Stdout.Length} bytes");
    }

    public static TheoryData<string, string> Commands() => new()
    {
        { "list", "TYPE" },
        { "list --json", "{" },
        { "", "TYPE" },
        { "--json", "{" },
        { "list --pid PID", "TYPE" },
        { "list --pid PID --json", "{" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Reader_that_closes_after_one_line_ends_the_command_quietly(string args, string firstLine)
    {
        args = args.Replace("PID", pairs.Scenario.Pid.ToString(), StringComparison.Ordinal);
        var r = SockpeerCli.Bash($$"""
            "$1" {{args}} 2>"$2/err" | head -1
            echo "status=${PIPESTATUS[0]}"
            cat "$2/err"
            """);
        var lines = r.Stdout.Split('\n');
        Assert.True(lines.Length >= 3, $"unexpected output: {r.Stdout} / {r.Stderr}");
        Assert.StartsWith(firstLine, lines[0]);
        Assert.Equal("status=0", lines[1]);
        AssertQuiet(args, string.Join('\n', lines[2..]));
    }

    /// <summary>
    /// Nothing on stderr about the pipe. The human view prints the snapshot's own warnings on stderr
    /// (on a shared machine the socket-count cross-check can warn under churn), so "sockpeer:
    /// warning:" lines are allowed there; with --json warnings go into the document and stderr
    /// must be empty.
    /// </summary>
    private static void AssertQuiet(string args, string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (args.Contains("--json", StringComparison.Ordinal))
        {
            Assert.True(lines.Length == 0, $"sockpeer {args} wrote to stderr: {stderr}");
        }
        Assert.True(lines.All(l => l.StartsWith("sockpeer: warning: ", StringComparison.Ordinal)
            && !l.Contains("pipe", StringComparison.OrdinalIgnoreCase)), $"sockpeer {args} wrote to stderr: {stderr}");
    }

    [Theory]
    [InlineData("list")]
    [InlineData("list --json")]
    public void Reader_that_reads_nothing_ends_the_command_quietly(string args)
    {
        var r = SockpeerCli.Bash($$"""
            "$1" {{args}} 2>"$2/err" | true
            echo "status=${PIPESTATUS[0]}"
            cat "$2/err"
            """);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("status=0", lines[0]);
        AssertQuiet(args, string.Join('\n', lines[1..]));
    }

    /// <summary>peer and who print a few lines: the reading end is closed before sockpeer writes at all.</summary>
    [Theory]
    [InlineData("peer")]
    [InlineData("peer --json")]
    [InlineData("who")]
    [InlineData("who --json")]
    public void Peer_and_who_into_a_closed_pipe_end_quietly(string command)
    {
        using var s = SocketScene.Build().Listen("p").Connect("p", accept: 1).Start();
        string[] args = command.StartsWith("peer", StringComparison.Ordinal)
            ? ["peer", s.Pid.ToString(), s.Socket("p.client0").Fd.ToString()]
            : ["who", s.Socket("p").Path!];
        if (command.EndsWith("--json", StringComparison.Ordinal))
        {
            args = [.. args, "--json"];
        }

        // Control: with a reader, the same command prints its answer.
        var normal = SockpeerCli.Run(args);
        Assert.True(normal.ExitCode == 0 && normal.Stdout.Length > 0, $"{command}: exit {normal.ExitCode}: {normal.Stderr}");

        var r = SockpeerCli.RunIntoClosedPipe(args);
        Assert.True(r.ExitCode == 0, $"{command} into a closed pipe exited {r.ExitCode}: {r.Stderr}");
        AssertQuiet(command, r.Stderr);
    }
}
