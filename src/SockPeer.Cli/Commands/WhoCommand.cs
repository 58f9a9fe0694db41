using System.CommandLine;
using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer who PATH|@NAME`: the socket a path (or abstract name) reaches now and everyone
/// connected to it. A deleted socket file is looked up by the name its sockets recorded. Exit 1
/// when nothing is bound to it, so a health check can use it.
/// </summary>
internal static class WhoCommand
{
    private static readonly Argument<string> Name = new("path") { Description = "A socket file, or @NAME for an abstract socket name" };

    public static Command Build()
    {
        var command = new Command("who", "Show the socket PATH (or @NAME) reaches, every connection to it (client and server ends) and pending clients");
        command.Arguments.Add(Name);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "who", FilterOptions.All);
        GlobalOptions.Reject(parse, "who", GlobalOptions.Table);
        string path = parse.GetValue(Name) ?? "";
        string shown = SocketName.Escape(path);
        if (path.Length == 0)
        {
            throw new CliException("an empty path is not a socket file", ReturnCode.Usage);
        }
        if (EndpointQueries.Who(parse, GlobalOptions.AsJson(parse), path) is ReturnCode answered)
        {
            return answered; // ADDR:PORT or a FIFO
        }
        Func<SocketInventory, WhoReport> query;
        bool deleted = false;
        if (path.StartsWith('@'))
        {
            byte[] name = [0, .. Encoding.UTF8.GetBytes(path[1..])];
            query = snapshot => SocketQueries.WhoByName(snapshot, path, [name]);
        }
        else
        {
            switch (SocketQueries.LookupPath(path, out uint major, out uint minor, out ulong inode))
            {
                case PathLookupStatus.Missing:
                    // The file may be gone while sockets bound to it still serve their connections.
                    deleted = true;
                    var names = new List<byte[]> { Encoding.UTF8.GetBytes(path) };
                    try
                    {
                        names.Add(Encoding.UTF8.GetBytes(Path.GetFullPath(path)));
                    }
                    catch (ArgumentException)
                    {
                    }
                    query = snapshot => SocketQueries.WhoByName(snapshot, path, names);
                    break;
                case PathLookupStatus.NotSocket:
                    throw new CliException($"{shown}: not a socket");
                case PathLookupStatus.Denied:
                    throw new CliException($"{shown}: cannot be examined (permission denied)");
                default:
                    query = snapshot => SocketQueries.Who(snapshot, path, major, minor, inode);
                    break;
            }
        }
        var (inventory, report) = Snapshot.Query(parse, query, r => r.HolderPids);
        var sockets = report.Listeners.Concat(report.Stale).Concat(report.Pending)
            .Concat(report.Connections.SelectMany(c => c.Client is null ? [c.Server] : new[] { c.Server, c.Client }));
        Output.Render(parse, inventory, sockets, completeList: false, new HashSet<int>(),
            r => r.WriteWho(inventory, report, deleted));
        // Nothing serves the name: not found, exit 1; the answer saying so is still printed (README, "Exit codes").
        return report.Listeners.Count == 0 ? ReturnCode.Failure : ReturnCode.Ok;
    });
}
