using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SockPeer.Cli.Commands;

/// <summary>
/// Every `--help` ends with examples that run as written and, where the table or its words appear,
/// the legend of its symbols. The README's legend is this text (scripts/readme-examples prints it).
/// </summary>
internal static class Help
{
    public const string Legend = """
        Legend:
          STATE           listen, conn, pair, pending, bound, unconn, closed, in-flight (--state takes
                          these words, and the kernel's listening, connected, unconnected)
          A <-> B         connected both ways; A is the client end, B the server end (the accepted
                          socket); 'who' lists connections in the same order
          A --> B         A points at B, not back: a pending client and its listener, a datagram
                          client and its server, a peer that closed or was not seen; a pipe's or
                          FIFO's writer and its reader (one way: A writes, B reads)
          A <-- (no writer)  a pipe's or FIFO's read end that no process writes to
          cmd[pid]:fd     a process holding the socket on that fd; {docker:name} its container
          #inode          the socket's inode (socket:[INODE] in /proc/PID/fd)
          +N in M procs   N more holders, M processes in all; -w shows them, --pid's are always shown
          backlog P/B     P connections wait to be accepted, the backlog is B; FULL when P > B
                          (the kernel admits B + 1 waiting; then connect waits or fails)
          RECVQ, SENDQ    bytes queued at END (and at the other end, after a '/', when any)
          (holder not visible)  no process that could be inspected holds it (run as root)
          (deleted), (replaced) the socket file no longer leads to this socket
          … in a cell     the middle was cut to fit the terminal; -w or a pipe shows it whole
        Exit status: 0 found, 1 not found (no socket matched the filters, nothing bound there; the answer is still printed) or failure, 2 usage.
        """;

    private static readonly Dictionary<string, string> Examples = new()
    {
        ["sockpeer"] = """
            Examples:
              sockpeer                                   every socket, fitted to the terminal
              sockpeer -p 1 -t stream                    stream sockets of pid 1, with their other ends
              sockpeer --state listen --sort -backlog    listeners, fullest accept queue first
              sockpeer --path '*.sock' -o TYPE,STATE,END,OTHER,RECVQ,SENDQ,NAME
              sockpeer -s                                counts by type and state, fullest listeners
            """,
        ["list"] = """
            Examples:
              sockpeer list -p 1 -w                      pid 1's sockets, every holder shown
              sockpeer list --state pending,listen -j    listeners and waiting clients as JSON
              sockpeer list -o INODE,USER,NAME -H --sort name
            """,
        ["peer"] = """
            Examples:
              sockpeer peer 1                            the sockets of pid 1 and their other ends
              sockpeer peer 1 3                          the other end of pid 1's fd 3
              sockpeer peer 'socket:[12345]' -j          the other end of socket inode 12345, as JSON
            """,
        ["who"] = """
            Examples:
              sockpeer who /run/dbus/system_bus_socket   the D-Bus daemon and every client
              sockpeer who @/tmp/.X11-unix/X0            an abstract name
              sockpeer who -q /run/systemd/notify && echo served
            """,
        ["check"] = """
            Examples:
              sockpeer check /run/app.sock               would a connect succeed? the verdict, the errno, why, the fix
              sockpeer check /run/app.sock --as www-data the same for another user (EACCES: which directory or file denies)
              sockpeer check /run/app.sock --from 4242   as process 4242 sees the path (its mount namespace, root, user)
              sockpeer check @name --type dgram --try    an abstract name; --try also makes the real connect
              sockpeer check -q /run/app.sock && echo reachable
            """,
        ["demo"] = """
            Examples:
              sockpeer demo                              the scene, then 'sockpeer peer' on the client's fd
              sockpeer demo -j                           the same answer as JSON
            """,
    };

    /// <summary>The examples of a command's help (for tests and scripts/readme-examples).</summary>
    public static string ExamplesOf(string command) => Examples.GetValueOrDefault(command, "");

    /// <summary>`--help` was given: show it even when the rest of the line is incomplete (`sockpeer peer --help`).</summary>
    public static bool Requested(ParseResult parse) => parse.Action is WithExamples;

    public static void Install(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action)
            {
                // Help would ask Console.WindowWidth, which sets the terminal up (see FileDescriptorStream): give it a width.
                action.MaxWidth = Console.IsOutputRedirected ? int.MaxValue : Interop.FileDescriptorStream.TerminalColumns(1) ?? 80;
                help.Action = new WithExamples(action);
            }
        }
    }

    private sealed class WithExamples(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command.Name == "serve")
            {
                return ServeCommand.Run(parseResult); // sockpeer-serve --help: the server's own options
            }
            int code = inner.Invoke(parseResult);
            string name = parseResult.CommandResult.Command is RootCommand ? "sockpeer" : parseResult.CommandResult.Command.Name;
            var output = parseResult.InvocationConfiguration.Output;
            if (Examples.TryGetValue(name, out string? examples))
            {
                output.WriteLine(examples);
                output.WriteLine();
            }
            if (name is "sockpeer" or "list" or "peer" or "who")
            {
                output.WriteLine(Legend);
            }
            return code;
        }
    }
}
