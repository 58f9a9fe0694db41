using System.Diagnostics;
using System.Text;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>Helpers shared by the command-line tests: shell runs, error-line checks, users, /proc scans.</summary>
internal static class CliTestSupport
{
    /// <summary>
    /// Runs <paramref name="script"/> with bash; the published binary is "$1" and a scratch
    /// directory is "$2". Stdin is closed, as for <see cref="SockpeerCli.Run"/>.
    /// </summary>
    public static CliResult Bash(string script, IDictionary<string, string>? environment = null)
    {
        string scratch = Directory.CreateTempSubdirectory("sockpeer-cli-").FullName;
        try
        {
            return ChildProcess.Run("bash", ["-c", script, "bash", SockpeerCli.Path, scratch], TimeSpan.FromSeconds(180), info =>
            {
                if (environment is not null)
                {
                    foreach (var (k, v) in environment)
                    {
                        info.Environment[k] = v;
                    }
                }
            });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The contract for bad input: exit <paramref name="code"/>, nothing on stdout, and exactly one
    /// line on stderr that starts with "sockpeer:" and is not a stack trace.
    /// </summary>
    public static void AssertOneErrorLine(CliResult r, int code, string what)
    {
        string context = $"{what}: exit {r.ExitCode}, stdout [{r.Stdout}], stderr [{r.Stderr}]";
        Assert.True(r.ExitCode == code, $"expected exit {code}; {context}");
        Assert.True(r.Stdout.Length == 0, $"expected empty stdout; {context}");
        Assert.True(r.Stderr.EndsWith('\n'), $"expected a complete line on stderr; {context}");
        string line = r.Stderr[..^1];
        Assert.True(!line.Contains('\n'), $"expected exactly one line on stderr; {context}");
        Assert.True(line.StartsWith("sockpeer: ", StringComparison.Ordinal), $"expected 'sockpeer: ' first; {context}");
        Assert.True(line.Length > "sockpeer: ".Length + 5, $"expected a message; {context}");
        Assert.True(!line.Contains("   at ", StringComparison.Ordinal), $"stack frame on stderr; {context}");
        Assert.True(!line.Contains("Exception", StringComparison.Ordinal), $"exception name on stderr; {context}");
        Assert.True(!line.Contains("System.", StringComparison.Ordinal), $".NET type name on stderr; {context}");
    }

    /// <summary>The real uid of the test process.</summary>
    public static uint CurrentUid
    {
        get
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return uint.Parse(line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1]);
                }
            }
            throw new InvalidOperationException("no Uid: line in /proc/self/status");
        }
    }

    public static bool IsRoot => CurrentUid == 0;

    /// <summary>The first /etc/passwd name for <paramref name="uid"/>, if any.</summary>
    public static string? UserName(uint uid)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var f = line.Split(':');
            if (f.Length > 2 && uint.TryParse(f[2], out uint u) && u == uid)
            {
                return f[0];
            }
        }
        return null;
    }

    /// <summary>A pid no process has now (counting down from pid_max).</summary>
    public static int UnusedPid()
    {
        int max = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim());
        for (int pid = max - 1; pid > 1; pid--)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                return pid;
            }
        }
        throw new InvalidOperationException("no free pid");
    }

    /// <summary>The path with every symbolic link resolved, as /proc/PID/exe and Environment.ProcessPath show it.</summary>
    public static string RealPath(string path)
    {
        var info = new ProcessStartInfo("realpath") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add(path);
        using var p = Process.Start(info)!;
        string real = p.StandardOutput.ReadToEnd().TrimEnd('\n');
        p.WaitForExit();
        return p.ExitCode == 0 && real.Length > 0 ? real : Path.GetFullPath(path);
    }

    /// <summary>
    /// Processes whose argv[0] is <paramref name="exe"/> (as given or resolved) and whose argv contains
    /// <paramref name="fragment"/>.
    /// </summary>
    public static List<(int Pid, string CommandLine)> ProcessesRunning(string exe, string fragment)
    {
        var names = new HashSet<string> { exe, RealPath(exe) };
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline"), Encoding.UTF8).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue; // exited
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (argv.Length > 0 && names.Contains(argv[0]) && argv.Any(a => a.Contains(fragment, StringComparison.Ordinal)))
            {
                found.Add((pid, string.Join(' ', argv)));
            }
        }
        return found;
    }

    /// <summary>Whether a process with this pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
