using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>Every --help ends with examples, and every example runs (exit 0 or 1: found or not here, never a usage error).</summary>
public class HelpTests
{
    [Theory]
    [InlineData("")]
    [InlineData("list")]
    [InlineData("peer")]
    [InlineData("who")]
    [InlineData("demo")]
    public void Help_ends_with_examples_that_run(string name)
    {
        string[] command = name.Length == 0 ? [] : [name];
        var help = SockpeerCli.Run([.. command, "--help"]);
        Assert.True(help.ExitCode == 0, help.Stderr);
        int at = help.Stdout.IndexOf("Examples:", StringComparison.Ordinal);
        Assert.True(at > 0, help.Stdout);
        var examples = help.Stdout[at..].Split('\n').Select(l => l.Trim())
            .TakeWhile(l => !l.StartsWith("Legend:", StringComparison.Ordinal))
            .Where(l => l.StartsWith("sockpeer", StringComparison.Ordinal)).ToList();
        Assert.True(examples.Count >= 2, help.Stdout);
        if (command is not ["demo"])
        {
            Assert.Contains("Legend:", help.Stdout);
            Assert.Contains("<->", help.Stdout);
            Assert.Contains("+N in M procs", help.Stdout);
        }
        foreach (string example in examples)
        {
            // The comment after the command is text for the reader; the shell runs the rest.
            string line = System.Text.RegularExpressions.Regex.Replace(example, @"\s{2,}\S.*$", "");
            var r = SockpeerCli.Bash($"B=\"$1\"; cd \"$2\"; sockpeer() {{ \"$B\" \"$@\"; }}; {line} >/dev/null");
            Assert.True(r.ExitCode is 0 or 1, $"'{line}' exited {r.ExitCode}: {r.Stderr}");
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.DoesNotContain("try 'sockpeer --help'", r.Stderr);
        }
    }
}
