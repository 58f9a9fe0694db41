using System.CommandLine;
using System.Runtime.InteropServices;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer serve`: replaces this process (execv) with sockpeer-serve from the same directory,
/// passing every argument but "serve". The server is its own executable so that Kestrel does not
/// slow the start-up of every other command (bench/RESULTS.md); exec rather than a child keeps one
/// process, so signals and systemd's view of the service go straight to the server.
/// `dotnet publish src/SockPeer.Cli` publishes sockpeer-serve next to sockpeer.
/// </summary>
internal static partial class ServeCommand
{
    public const string Executable = "sockpeer-serve";

    public static Command Build()
    {
        var command = new ServeCompletion("serve", "Serve Prometheus metrics, OTLP and a JSON API over HTTP")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        // sockpeer-serve's own options (one definition, linked from the server): completion and help
        // offer them; the arguments themselves go to sockpeer-serve as written.
        foreach (var option in SockPeer.Serve.ServeOptions.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(Run);
        return command;
    }

    /// <summary>Runs sockpeer-serve with every argument but "serve" (its --help too: the server's help is the one that is true).</summary>
    public static int Run(ParseResult _) => CommandRunner.Run(Exec);

    /// <summary>
    /// serve's completions: its own options and the help option, never the table and list options
    /// that `sockpeer` takes everywhere else (they are recursive) and that serve refuses.
    /// </summary>
    private sealed class ServeCompletion(string name, string description) : Command(name, description)
    {
        public override IEnumerable<System.CommandLine.Completions.CompletionItem> GetCompletions(System.CommandLine.Completions.CompletionContext context)
        {
            var own = new HashSet<string>(StringComparer.Ordinal);
            foreach (var option in Options)
            {
                own.Add(option.Name);
                own.UnionWith(option.Aliases);
            }
            return base.GetCompletions(context)
                .Where(c => !c.Label.StartsWith('-') || own.Contains(c.Label) || c.Label is "--help" or "-h")
                .DistinctBy(c => c.Label); // --pid, --netns, ...: serve's own and the recursive one of the same name
        }
    }

    private static ReturnCode Exec()
    {
        string path = Path.Combine(AppContext.BaseDirectory, Executable);
        if (!File.Exists(path))
        {
            throw new CliException($"cannot run {path}: not found (dotnet publish src/SockPeer.Cli puts it next to sockpeer)");
        }
        var args = new List<string> { path };
        bool skipped = false;
        foreach (var a in Environment.GetCommandLineArgs().AsSpan(1))
        {
            if (!skipped && a == "serve")
            {
                skipped = true;
                continue;
            }
            args.Add(a);
        }
        var strings = args.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        IntPtr argv = Marshal.AllocHGlobal(IntPtr.Size * (strings.Length + 1));
        for (int i = 0; i < strings.Length; i++)
        {
            Marshal.WriteIntPtr(argv, i * IntPtr.Size, strings[i]);
        }
        Marshal.WriteIntPtr(argv, strings.Length * IntPtr.Size, IntPtr.Zero);
        execv(strings[0], argv); // returns only on failure
        throw new CliException($"cannot run {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int execv(IntPtr path, IntPtr argv);
}
