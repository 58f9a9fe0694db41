using System.CommandLine.Completions;

namespace SockPeer.Cli.Commands;

/// <summary>Values the shell completion offers where System.CommandLine cannot know them.</summary>
internal static class Completions
{
    /// <summary>Running processes' pids, with the command as help text, for --pid and `peer PID`.</summary>
    public static IEnumerable<CompletionItem> Pids(CompletionContext context)
    {
        string typed = context.WordToComplete;
        var items = new List<CompletionItem>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !name.StartsWith(typed, StringComparison.Ordinal))
            {
                continue;
            }
            string? comm = null;
            try
            {
                comm = File.ReadAllText($"{dir}/comm").TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that exited meanwhile still completes by number
            }
            items.Add(new CompletionItem(name, detail: comm));
        }
        return items;
    }
}
