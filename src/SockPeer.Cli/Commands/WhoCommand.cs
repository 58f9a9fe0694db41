using System.CommandLine;
using SockPeer.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Commands;

/// <summary>`sockpeer who PATH`: the socket a path reaches now and everyone connected to it.</summary>
internal sealed class WhoCommand
{
    private readonly Argument<string> _path = new("path") { Description = "A socket file" };
    private readonly Option<bool> _json;

    public WhoCommand(Option<bool> json) => _json = json;

    public Command Build()
    {
        var command = new Command("who", "Show the socket PATH reaches, every connection to it (server and client ends) and pending clients");
        command.Arguments.Add(_path);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        string path = parse.GetValue(_path) ?? "";
        string shown = SocketName.Escape(path);
        if (path.Length == 0)
        {
            throw new CliException("an empty path is not a socket file", ReturnCode.Usage);
        }
        if (EndpointQueries.Who(parse, parse.GetValue(_json), path) is ReturnCode answered)
        {
            return answered; // ADDR:PORT or a FIFO
        }
        switch (SocketQueries.LookupPath(path, out uint major, out uint minor, out ulong inode))
        {
            case PathLookupStatus.Missing:
                throw new CliException($"{shown}: no such file");
            case PathLookupStatus.NotSocket:
                throw new CliException($"{shown}: not a socket");
            case PathLookupStatus.Denied:
                throw new CliException($"{shown}: cannot be examined (permission denied)");
            default:
                break;
        }
        var (inventory, report) = Snapshot.Query(parse, snapshot => SocketQueries.Who(snapshot, path, major, minor, inode), r => r.HolderPids);
        Output.Render(parse.GetValue(_json), inventory,
            stdout => SchemaJsonWriter.WriteWho(stdout, inventory, report),
            human => human.WriteWho(report));
        return ReturnCode.Ok;
    });
}
