using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>Issue 23's small things: descending sort completion; the not-found rule for every --kind.</summary>
public class OperatorSmallTests
{
    private static List<string> Suggest(string line)
    {
        var r = SockpeerCli.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, r.ExitCode);
        return [.. r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact]
    public void Sort_completion_after_a_minus_offers_descending_columns()
    {
        var all = Suggest("list --sort -");
        Assert.Contains("-recvq", all);
        Assert.Contains("-name", all);
        Assert.All(all, s => Assert.StartsWith("-", s, StringComparison.Ordinal));
        Assert.Equal(["-recvq"], Suggest("list --sort -rec"));
        Assert.Contains("name,-recvq", Suggest("list --sort name,-r"));
    }

    [Theory]
    [InlineData("list --sort=r", 12)]
    [InlineData("list -s -", 9)]
    public void Completion_inside_a_word_the_parser_cannot_complete_gives_no_suggestion_not_a_stack_trace(string line, int position)
    {
        var r = SockpeerCli.Run($"[suggest:{position}]", line);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("Unhandled exception", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData("pty")]
    [InlineData("fifo")]
    public void List_of_another_kind_with_an_unmatched_pid_exits_1_with_its_answer_on_stdout(string kind)
    {
        // A live process of the test's own making with its stdio on /dev/null and every other inherited
        // descriptor closed: it holds no endpoint of any kind.
        const string Script = "import os, time\nfd = os.open('/dev/null', os.O_RDWR)\nfor i in range(3):\n    os.dup2(fd, i)\nos.closerange(3, 65536)\nprint('', end='', flush=True)\ntime.sleep(60)\n";
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", Script]) { UseShellExecute = false })!;
        try
        {
            string pid = sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Until its script has run, the pid holds the test host's stdio pipes: `python3` may be a shell
            // shim (pyenv) that execs the interpreter, and a freshly exec'd python still holds exactly three
            // descriptors, the inherited pipes (CI failure of 2d79baa). Ready means each of the three is /dev/null.
            bool Ready()
            {
                try
                {
                    string[] fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
                    return fds.Length == 3 && fds.All(fd => File.ResolveLinkTarget(fd, false)?.FullName == "/dev/null");
                }
                catch (IOException)
                {
                    return false; // a descriptor closed while it was read: not ready yet
                }
            }
            for (int i = 0; i < 3000 && !Ready(); i++)
            {
                Thread.Sleep(10);
            }
            Assert.True(Ready(), $"pid {pid} did not come to hold only /dev/null in 30 s");
            var r = SockpeerCli.Run("list", "--kind", kind, "--pid", pid);
            Assert.True(r.ExitCode == 1, $"list --kind {kind} --pid {pid}: exit {r.ExitCode}, stdout {r.Stdout}, stderr {r.Stderr}");
            Assert.DoesNotContain("sockpeer:", r.Stderr.Split('\n').Where(l => !l.StartsWith("sockpeer: warning", StringComparison.Ordinal)), StringComparer.Ordinal);
            var json = SockpeerCli.Run("list", "--kind", kind, "--pid", pid, "--json");
            Assert.Equal(1, json.ExitCode);
            Assert.NotEmpty(json.Stdout);
        }
        finally
        {
            sleeper.Kill();
        }
    }
}
