using System.CommandLine;
using System.Diagnostics;
using SockPeer.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer demo`: the classic scene with real processes. An echo server hands each connection
/// to a handler process; a client's socket is shared by a parent that sends and a child that
/// reads. Then it asks sockpeer who is on the other end of the client's fd, and cleans up.
/// </summary>
internal static class DemoCommand
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly string[] DemoLines = ["hello", "who is on the other end?"];

    public static Command Build()
    {
        var command = new Command("demo", "Start an echo server and a client shared by two processes, then show 'sockpeer peer' for the client's fd");
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "demo", FilterOptions.All);
        GlobalOptions.Reject(parse, "demo", GlobalOptions.Table);
        bool asJson = GlobalOptions.AsJson(parse);
        var dir = Directory.CreateTempSubdirectory("sockpeer-demo-");
        string path = Path.Combine(dir.FullName, "echo.sock");
        Process? server = null, client = null;
        int readerPid = 0;
        try
        {
            server = DemoRoles.Start(DemoRoles.Server, path, redirectOutput: true);
            if (ReadLine(server) != "ready")
            {
                throw new CliException("the demo server did not start");
            }
            client = DemoRoles.Start(DemoRoles.Client, path, redirectOutput: true);
            string[] hello = (ReadLine(client) ?? "").Split(' ');
            if (hello.Length != 4 || hello[0] != "client" || !int.TryParse(hello[2], out int fd) || !int.TryParse(hello[3], out readerPid))
            {
                throw new CliException("the demo client did not start");
            }
            string[] lines = DemoLines;
            var replies = new List<string>();
            foreach (var line in lines)
            {
                client.StandardInput.WriteLine(line);
                client.StandardInput.Flush();
                string reply = ReadLine(client) ?? throw new CliException("the demo server did not answer");
                replies.Add(reply.StartsWith("reply ", StringComparison.Ordinal) ? reply[6..] : reply);
            }

            var inventory = Snapshot.Take(parse);
            if (SocketQueries.LookupFd(client.Id, fd, out uint inode, out _) != FdLookupStatus.Socket || inventory.Find(inode) is not { } socket)
            {
                throw new CliException("the demo client's socket was not found");
            }
            var report = SocketQueries.Peer(inventory, socket);
            UnixSocket?[] shown = [report.Socket, report.Peer, report.Listener];
            Output.Render(parse, inventory, shown.OfType<UnixSocket>(), completeList: false, new HashSet<int>(), renderer =>
            {
                if (!asJson)
                {
                    var terminal = Terminal.Detect();
                    using var w = Output.Writer(Output.OpenStdout());
                    w.WriteLine(terminal.Paint("sockpeer demo", Terminal.Bold));
                    w.WriteLine($"  echo server    pid {server.Id} listening on {path}; it starts a handler process per connection");
                    w.WriteLine($"  client         pid {client.Id} holds the socket on fd {fd} and sends; its child pid {readerPid} shares it and reads");
                    for (int i = 0; i < lines.Length; i++)
                    {
                        w.WriteLine($"  the parent sent \"{lines[i]}\"; the child read \"{SocketName.Escape(replies[i])}\"");
                    }
                    w.WriteLine();
                    w.WriteLine(terminal.Paint($"$ sockpeer peer {client.Id} {fd}", Terminal.Bold));
                }
                renderer.WritePeer(inventory, report);
            });
            return ReturnCode.Ok;
        }
        finally
        {
            Stop(client);
            Stop(server);
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    });

    private static string? ReadLine(Process process)
    {
        var task = process.StandardOutput.ReadLineAsync();
        return task.Wait(Patience) ? task.Result : throw new CliException("a demo process did not answer in time");
    }

    /// <summary>Closing stdin makes a role clean up its own children; a kill backs that up.</summary>
    private static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }
}
