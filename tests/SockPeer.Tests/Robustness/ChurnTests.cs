using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>tests/stress/churn.py in its CI size: `sockpeer list --json` under process and socket churn.</summary>
[Collection(RobustnessCollection.Name)]
public class ChurnTests(ITestOutputHelper output)
{
    private static string Harness => Path.Combine(SockpeerCli.RepoRoot, "tests", "stress", "churn.py");

    [Fact]
    public void Harness_checks_flag_doctored_documents()
    {
        var (code, stdout, stderr) = Run.Program("python3", [Harness, "--self-test"], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"churn.py --self-test exited {code}:\n{stdout}\n{stderr}");
    }

    [Fact]
    public void Quick_churn_run_passes()
    {
        // churn.py --quick bounds itself (it starts no run after 40 s); the timeout here only catches a hang,
        // so that a loaded machine makes the run slower, not failed.
        var (code, stdout, stderr) = Run.Program("python3", [Harness, "--quick", "--sockpeer", SockpeerCli.Path], TimeSpan.FromMinutes(10));
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(code == 0, $"churn.py --quick exited {code}:\n{stdout}\n{stderr}");
        var summary = System.Text.RegularExpressions.Regex.Match(stdout, @"churn: (\d+) runs, (\d+) failing");
        Assert.True(summary.Success, $"no summary line:\n{stdout}");
        Assert.True(int.Parse(summary.Groups[1].Value) >= 5, $"too few runs to mean anything:\n{stdout}");
        Assert.Equal("0", summary.Groups[2].Value);
    }
}
