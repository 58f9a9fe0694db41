using System.CommandLine;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer list` (also the default): every Unix socket, with the filters of <see cref="FilterOptions"/>
/// and the table options of <see cref="GlobalOptions"/>. Exit 1 when filters were given and no
/// socket matched (as grep and lsof do), so a script can test for a listener.
/// </summary>
internal static class ListCommand
{
    public static Command Build()
    {
        var command = new Command("list", "List every Unix socket: connections with both ends, listeners, pairs, pending, in flight (the default)");
        command.Options.Add(Kind);
        command.SetAction(Run);
        return command;
    }

    /// <summary>--kind: endpoints beside Unix sockets (pipes, FIFOs, ptys, TCP, UDP); on `list` and the root.</summary>
    public static readonly Option<string> Kind = KindWithCompletions();

    private static Option<string> KindWithCompletions()
    {
        var kind = EndpointQueries.KindOption();
        kind.CompletionSources.Add("unix", "pipe", "fifo", "pty", "tcp", "udp", "all");
        return kind;
    }

    public static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        var filter = FilterOptions.Build(parse);
        var (unix, kinds) = EndpointQueries.ParseKinds(parse.GetValue(Kind) ?? "unix");
        if (kinds != SockPeer.Endpoints.EndpointKinds.None)
        {
            return EndpointQueries.List(parse, GlobalOptions.AsJson(parse), filter, unix, kinds);
        }
        // Checked before the snapshot: a bad column is a usage error, not a second of work then an error.
        _ = GlobalOptions.TableOptions(parse, filter.Pids);
        var inventory = Snapshot.Take(parse);
        var matched = Select(inventory, filter);
        if (parse.GetValue(GlobalOptions.Summary))
        {
            var summary = SocketSummary.Of(inventory, matched);
            Output.Render(parse, inventory, matched, completeList: true, filter.Pids, r => r.WriteSummary(inventory, summary));
        }
        else
        {
            Output.Render(parse, inventory, matched, completeList: true, filter.Pids, r => r.WriteList(inventory, new ListAnswer(inventory, matched)));
        }
        return matched.Count == 0 && !filter.IsEmpty ? ReturnCode.Failure : ReturnCode.Ok;
    });

    public static IReadOnlyList<UnixSocket> Select(SocketInventory inventory, SocketFilter filter)
    {
        if (filter.IsEmpty)
        {
            return inventory.Sockets;
        }
        var matched = new List<UnixSocket>();
        foreach (var s in inventory.Sockets)
        {
            if (filter.Matches(inventory, s))
            {
                matched.Add(s);
            }
        }
        return matched;
    }
}
