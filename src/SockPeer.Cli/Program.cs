using System.CommandLine;
using System.CommandLine.Parsing;
using SockPeer.Cli.Commands;

namespace SockPeer.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("sockpeer: who is on the other end of each Unix socket");
        // Global options parse before or after the subcommand; each command honours them or refuses them.
        GlobalOptions.AddTo(root);
        FilterOptions.AddTo(root);
        root.Options.Add(Snapshot.NetNs);
        root.Options.Add(Snapshot.Collector);
        Snapshot.Collector.AcceptOnlyFromAmong([.. SockPeer.Ebpf.CollectorSelection.Names]);
        root.Options.Add(ListCommand.Kind);
        root.SetAction(ListCommand.Run);

        // One line per command.
        root.Subcommands.Add(ListCommand.Build());
        root.Subcommands.Add(PeerCommand.Build());
        root.Subcommands.Add(WhoCommand.Build());
        root.Subcommands.Add(CheckCommand.Build());
        root.Subcommands.Add(CheckCommand.BuildTryRole());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(WatchCommand.Build());
        root.Subcommands.Add(RecordCommand.Build());
        root.Subcommands.Add(HistoryCommand.Build());
        root.Subcommands.Add(GraphCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(CompletionCommand.Build());
        root.Subcommands.Add(BenchRoles.Build());

        foreach (var hidden in DemoRoles.Build())
        {
            root.Subcommands.Add(hidden);
        }
        Help.Install(root);
        VersionText.Install(root);

        // "@name" is an abstract socket name here, never a response file.
        ParseResult parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0 && !Help.Requested(parse))
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
        catch (InvalidOperationException) when (args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal))
        {
            // System.CommandLine's completer throws inside some words ("--sort=r" completed mid-word, "-s -"):
            // the shell gets no suggestion, never a stack trace.
            return (int)ReturnCode.Ok;
        }
    }
}
