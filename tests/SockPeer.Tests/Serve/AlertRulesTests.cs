using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>The shipped deploy/prometheus files pass promtool, and the rule unit tests can fail.</summary>
public sealed class AlertRulesTests
{
    private static string Dir => Path.Combine(SockpeerCli.RepoRoot, "deploy", "prometheus");

    [Fact]
    public void RulesAndScrapeConfigPassPromtool()
    {
        var rules = ChildProcess.Run("promtool", ["check", "rules", Path.Combine(Dir, "sockpeer.rules.yml")], TimeSpan.FromSeconds(60));
        Assert.True(rules.ExitCode == 0, rules.Stdout + rules.Stderr);
        Assert.Contains("SUCCESS: 3 rules found", rules.Stdout, StringComparison.Ordinal);
        var config = ChildProcess.Run("promtool", ["check", "config", Path.Combine(Dir, "scrape.yml")], TimeSpan.FromSeconds(60));
        Assert.True(config.ExitCode == 0, config.Stdout + config.Stderr);
    }

    [Fact]
    public void TheBacklogAlertFiresOnASyntheticSeries()
    {
        var test = ChildProcess.Run("promtool", ["test", "rules", "sockpeer.rules.test.yml"], TimeSpan.FromSeconds(60), info => info.WorkingDirectory = Dir);
        Assert.True(test.ExitCode == 0, test.Stdout + test.Stderr);
        Assert.Contains("SUCCESS", test.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRuleTestFailsWhenTheThresholdIsWrong()
    {
        // The same unit test against a copy of the rules with the threshold at 95 %: the expected alert is missing.
        string dir = Directory.CreateTempSubdirectory("sockpeer-rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "sockpeer.rules.yml"), File.ReadAllText(Path.Combine(Dir, "sockpeer.rules.yml")).Replace(">= 0.8", ">= 0.95", StringComparison.Ordinal));
            File.Copy(Path.Combine(Dir, "sockpeer.rules.test.yml"), Path.Combine(dir, "sockpeer.rules.test.yml"));
            var test = ChildProcess.Run("promtool", ["test", "rules", "sockpeer.rules.test.yml"], TimeSpan.FromSeconds(60), info => info.WorkingDirectory = dir);
            Assert.NotEqual(0, test.ExitCode);
            Assert.Contains("UnixListenerBacklogFilling", test.Stdout + test.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
