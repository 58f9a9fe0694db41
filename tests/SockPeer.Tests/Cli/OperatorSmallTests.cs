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
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData("pty")]
    [InlineData("fifo")]
    public void List_of_another_kind_with_an_unmatched_pid_exits_1_with_its_answer_on_stdout(string kind)
    {
        // A live process of the test's own making with its stdio on /dev/null: it holds no endpoint of any kind.
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", "exec sleep 60 </dev/null >/dev/null 2>&1"]) { UseShellExecute = false })!;
        try
        {
            string pid = sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Until sh has exec'd, it still holds the test's own stdio.
            for (int i = 0; i < 200 && File.ReadAllText($"/proc/{pid}/comm").Trim() != "sleep"; i++)
            {
                Thread.Sleep(10);
            }
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
