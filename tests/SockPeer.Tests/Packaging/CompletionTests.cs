using Xunit;
using System.Diagnostics;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Packaging;

/// <summary>
/// The completion scripts `sockpeer completion SHELL` prints, run in the real shells: bash through
/// its programmable completion (complete -p, COMP_WORDS), fish through `complete -C`.
/// </summary>
public sealed class CompletionTests
{
    private static string Script(string shell)
    {
        var r = SockpeerCli.Run("completion", shell);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string path = Path.Combine(Path.GetTempPath(), $"sockpeer-completion-{Guid.NewGuid():N}.{shell}");
        File.WriteAllText(path, r.Stdout);
        return path;
    }

    /// <summary>What bash's completion function offers for <paramref name="words"/> (the cursor at the end).</summary>
    private static List<string> Bash(params string[] words)
    {
        string script = Script("bash");
        string driver = Path.Combine(Path.GetTempPath(), $"sockpeer-complete-{Guid.NewGuid():N}.sh");
        try
        {
            string line = string.Join(' ', words);
            string quotedWords = string.Join(' ', words.Select((w, i) => i == 0 ? Quote(SockpeerCli.Path) : Quote(w)));
            File.WriteAllText(driver, $"""
                source {Quote(script)}
                complete -p sockpeer
                COMP_LINE={Quote(line)}
                COMP_POINT=${"{"}#COMP_LINE{"}"}
                COMP_WORDS=({quotedWords})
                COMP_CWORD={words.Length - 1}
                _sockpeer
                printf 'reply:%s\n' "${"{"}COMPREPLY[@]{"}"}"
                """);
            var r = PackagingSupport.Run("bash", "--norc", "--noprofile", "-i", driver);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("-F _sockpeer sockpeer", r.Stdout, StringComparison.Ordinal);
            return [.. r.Stdout.Split('\n').Where(l => l.StartsWith("reply:", StringComparison.Ordinal)).Select(l => l[6..]).Where(l => l.Length > 0)];
        }
        finally
        {
            File.Delete(script);
            File.Delete(driver);
        }
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [Fact]
    public void Bash_completes_commands()
    {
        Assert.Equal(["list"], Bash("sockpeer", "li"));
        var all = Bash("sockpeer", "");
        Assert.Contains("peer", all);
        Assert.Contains("who", all);
        Assert.Contains("completion", all);
        Assert.DoesNotContain(all, w => w.StartsWith("__", StringComparison.Ordinal)); // the demo's hidden roles
        Assert.DoesNotContain(all, w => w.StartsWith('/')); // no Windows-style /? in a Linux shell
    }

    [Fact]
    public void Bash_completes_option_values_from_the_program()
    {
        var types = Bash("sockpeer", "list", "--type", "s");
        Assert.Equal(["seqpacket", "stream"], types.Order(StringComparer.Ordinal).ToList());
        var shells = Bash("sockpeer", "completion", "");
        Assert.Contains("bash", shells);
        Assert.Contains("fish", shells);
        Assert.Contains("zsh", shells);
        Assert.Equal(["zsh"], Bash("sockpeer", "completion", "z"));
        Assert.Contains("--json", Bash("sockpeer", "who", "--js"));
    }

    [Fact]
    public void Bash_completes_serve_with_its_own_options_only()
    {
        var serve = Bash("sockpeer", "serve", "--");
        foreach (var option in new[] { "--listen", "--web-config", "--min-interval", "--max-listeners", "--otlp-endpoint", "--source", "--pid", "--netns", "--help" })
        {
            Assert.Contains(option, serve);
        }
        foreach (var refused in new[] { "--wide", "--sort", "--summary", "--output", "--no-header", "--json", "--kind" })
        {
            Assert.DoesNotContain(refused, serve);
        }
        Assert.Equal(serve.Distinct().Count(), serve.Count);
        Assert.Contains("--wide", Bash("sockpeer", "list", "--")); // list keeps them
    }

    [Fact]
    public void Bash_completes_column_names_for_output_and_sort()
    {
        var columns = Bash("sockpeer", "list", "-o", "");
        Assert.Contains("TYPE", columns);
        Assert.Contains("NAME", columns);
        Assert.Contains("BACKLOG", columns);
        Assert.Equal(["TYPE,STATE"], Bash("sockpeer", "list", "-o", "TYPE,ST"));
        var sort = Bash("sockpeer", "list", "--sort", "");
        Assert.Contains("backlog", sort);
        Assert.Contains("recvq", sort);
        Assert.Equal(["name"], Bash("sockpeer", "list", "--sort", "na"));
    }

    [Fact]
    public void Serve_help_shows_the_servers_options()
    {
        var r = SockpeerCli.Run("serve", "--help");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("--listen", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("--web-config", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("--min-interval", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--wide", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--summary", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bash_completes_pids_of_running_processes()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            string pid = sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(pid, Bash("sockpeer", "list", "--pid", pid));
            Assert.Contains(pid, Bash("sockpeer", "peer", pid));
            Assert.DoesNotContain(pid + "0000000", Bash("sockpeer", "list", "--pid", pid));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void Fish_completes_commands_and_values()
    {
        string script = Script("fish");
        try
        {
            string dir = Path.GetDirectoryName(SockpeerCli.Path)!;
            var r = ChildProcess.Run("fish", ["--no-config", "-c", $"source {Quote(script)}; complete -C 'sockpeer li'; complete -C 'sockpeer list --type st'"],
                TimeSpan.FromMinutes(1), info => info.Environment["PATH"] = dir + ":" + Environment.GetEnvironmentVariable("PATH"));
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n').Select(l => l.Split('\t')[0]).ToList();
            Assert.Contains("list", lines);
            Assert.Contains("stream", lines);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public void Zsh_script_parses_and_registers_the_function()
    {
        string script = Script("zsh");
        try
        {
            var syntax = ChildProcess.Run("zsh", ["-n", script], TimeSpan.FromMinutes(1));
            Assert.True(syntax.ExitCode == 0, syntax.Stderr);
            var r = ChildProcess.Run("zsh", ["-f", "-c", $"autoload -Uz compinit && compinit -u -D && source {Quote(script)} && print -r -- $_comps[sockpeer]"], TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal("_sockpeer", r.Stdout.Trim());
        }
        finally
        {
            File.Delete(script);
        }
    }
}
