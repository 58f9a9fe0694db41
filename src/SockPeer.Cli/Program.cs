using SockPeer.Interop;
using System.CommandLine;
using System.CommandLine.Parsing;
using SockPeer.Cli.Commands;

namespace SockPeer.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var json = new Option<bool>("--json") { Description = "Write JSON (schema 1, see docs/schema.md)", Recursive = true };
        var root = new RootCommand("sockpeer: who is on the other end of each Unix socket");
        root.Options.Add(json);
        root.Options.Add(Snapshot.NetNs);
        new ListCommand(json).AddTo(root);

        var list = new Command("list", "List every Unix socket: connections with both ends, listeners, pairs, pending, in flight (the default)");
        new ListCommand(json).AddTo(list);
        root.Subcommands.Add(list);
        root.Subcommands.Add(new PeerCommand(json).Build());
        root.Subcommands.Add(new WhoCommand(json).Build());
        root.Subcommands.Add(new DemoCommand(json).Build());
        foreach (var hidden in DemoRoles.Build())
        {
            root.Subcommands.Add(hidden);
        }
        root.Subcommands.Add(BenchRoles.Build());

        // Help would ask Console.WindowWidth, which sets the terminal up (see FileDescriptorStream): give it a width.
        foreach (var help in root.Options.OfType<System.CommandLine.Help.HelpOption>())
        {
            if (help.Action is System.CommandLine.Help.HelpAction action)
            {
                action.MaxWidth = Console.IsOutputRedirected ? int.MaxValue : FileDescriptorStream.TerminalColumns(1) ?? 80;
            }
        }

        // "@name" is an abstract socket name here, never a response file.
        ParseResult parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            return CommandRunner.Fail($"{parse.Errors[0].Message} (try 'sockpeer --help')", ReturnCode.Usage);
        }
        try
        {
            int code = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = Output.Text(1), Error = Output.Text(2) });
            if (Environment.GetEnvironmentVariable("SOCKPEER_STATS") == "1")
            {
                Output.Error($"sockpeer: stats: at exit allocated {GC.GetTotalAllocatedBytes() >> 20} MiB, heap {GC.GetTotalMemory(false) >> 20} MiB, "
                    + $"GCs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, working set {Environment.WorkingSet >> 20} MiB");
            }
            return code;
        }
        catch (IOException)
        {
            return (int)ReturnCode.Ok; // output closed while writing help or version
        }
    }
}
