using Xunit;
using System.Text.RegularExpressions;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Packaging;

/// <summary>sockpeer(1) is built from docs/man/sockpeer.1.scd and names every command and option of the program.</summary>
public sealed class ManPageTests
{
    private static readonly string Source = File.ReadAllText(Path.Combine(SockpeerCli.RepoRoot, "docs", "man", "sockpeer.1.scd"));

    /// <summary>The visible command tree, as the program itself answers completion requests.</summary>
    private static (List<string> Commands, Dictionary<string, List<string>> Options) CommandTree()
    {
        var root = Suggest("");
        var commands = root.Where(w => !w.StartsWith('-') && !w.StartsWith('/')).ToList();
        var options = new Dictionary<string, List<string>> { [""] = root.Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToList() };
        foreach (var c in commands)
        {
            options[c] = Suggest(c + " ").Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
        }
        return (commands, options);
    }

    private static List<string> Suggest(string line)
    {
        var r = SockpeerCli.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, r.ExitCode);
        return [.. r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>
    /// Operators arrive with the classic recipe (gdb on /proc/kcore from the address /proc/net/unix
    /// prints): the page says why it fails now and what is read instead.
    /// </summary>
    [Fact]
    public void Man_page_says_why_the_kcore_method_fails_and_what_is_read_instead()
    {
        int start = Source.IndexOf("## Why not the kernel address", StringComparison.Ordinal);
        Assert.True(start >= 0, "no section on the kernel-address method");
        int end = Source.IndexOf("\n#", start + 3, StringComparison.Ordinal);
        string section = Source[start..(end < 0 ? Source.Length : end)];
        foreach (string word in new[] { "/proc/kcore", "gdb", "unix_sock->peer", "/proc/net/unix", "%pK", "hashed", "kptr_restrict", "UNIX_DIAG_PEER", "socket:[N]" })
        {
            Assert.Contains(word, section, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_command_and_option_of_the_program_is_in_the_man_page()
    {
        var (commands, options) = CommandTree();
        Assert.Contains("list", commands);
        Assert.Contains("--json", options[""]);
        var missing = new List<string>();
        foreach (var c in commands)
        {
            if (!Source.Contains($"*{c}*", StringComparison.Ordinal))
            {
                missing.Add($"command {c}");
            }
        }
        foreach (var (command, opts) in options)
        {
            foreach (var o in opts)
            {
                if (!Regex.IsMatch(Source, $@"(?<![\w-]){Regex.Escape(o)}(?![\w-])"))
                {
                    missing.Add($"option {o} of '{(command.Length == 0 ? "sockpeer" : command)}'");
                }
            }
        }
        Assert.True(missing.Count == 0, "not in docs/man/sockpeer.1.scd: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_man_page_has_the_usual_sections_and_sees_the_classic_tools()
    {
        foreach (var section in new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "OUTPUT", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO", "BUGS" })
        {
            Assert.Matches(new Regex($"^# {section}", RegexOptions.Multiline), Source);
        }
        foreach (var tool in new[] { "*ss*(8)", "*lsof*(8)", "*lsfd*(1)", "*netstat*(8)" })
        {
            Assert.Contains(tool, Source, StringComparison.Ordinal);
        }
        // The seed question: which number is the socket inode, and which is the socket file's.
        Assert.Contains("*Port*", Source, StringComparison.Ordinal);
        Assert.Contains("*I-Node*", Source, StringComparison.Ordinal);
        Assert.Contains("socket:[", Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_script_makes_a_roff_page_with_the_programs_version()
    {
        string dir = PackagingSupport.TempDir("sockpeer-man");
        try
        {
            var r = PackagingSupport.Run(Path.Combine(SockpeerCli.RepoRoot, "scripts", "build-man"), dir);
            Assert.True(r.ExitCode == 0, r.Stderr);
            string page = File.ReadAllText(Path.Combine(dir, "sockpeer.1"));
            Assert.Matches(new Regex(@"^\.TH ""sockpeer"" ""1""", RegexOptions.Multiline), page);
            Assert.Contains($"sockpeer {PackagingSupport.Version}", page, StringComparison.Ordinal);
            Assert.DoesNotContain("@VERSION@", page, StringComparison.Ordinal);
            var version = SockpeerCli.Run("--version");
            Assert.StartsWith($"sockpeer {PackagingSupport.Version}", version.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
