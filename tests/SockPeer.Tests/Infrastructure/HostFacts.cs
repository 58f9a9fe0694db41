using System.Diagnostics;
using System.Text;

namespace SockPeer.Tests.Infrastructure;

/// <summary>Facts about this machine's users and processes that tests check against: uids, names, pids, /proc scans.</summary>
internal static class HostFacts
{
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
