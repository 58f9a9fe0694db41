using System.CommandLine;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using SockPeer.Cli.Interop;

namespace SockPeer.Cli.Commands;

/// <summary>
/// Hidden roles the demo re-launches this executable in. .NET cannot fork, so "fork a handler"
/// means: pass the socket to a fresh process of our own as an inherited descriptor.
/// Every role exits when its standard input closes, so nothing outlives the demo.
/// </summary>
internal static class DemoRoles
{
    public const string Server = "__demo-server";
    public const string Handler = "__demo-handler";
    public const string Client = "__demo-client";
    public const string Reader = "__demo-reader";

    public static IEnumerable<Command> Build()
    {
        var path = new Argument<string>("path");
        var server = new Command(Server) { Hidden = true };
        server.Arguments.Add(path);
        server.SetAction(p => RunServer(p.GetValue(path)!));
        yield return server;

        var fd = new Argument<int>("fd");
        var handler = new Command(Handler) { Hidden = true };
        handler.Arguments.Add(fd);
        handler.SetAction(p => RunHandler(p.GetValue(fd)));
        yield return handler;

        var clientPath = new Argument<string>("path");
        var client = new Command(Client) { Hidden = true };
        client.Arguments.Add(clientPath);
        client.SetAction(p => RunClient(p.GetValue(clientPath)!));
        yield return client;

        var readerFd = new Argument<int>("fd");
        var reader = new Command(Reader) { Hidden = true };
        reader.Arguments.Add(readerFd);
        reader.SetAction(p => RunReader(p.GetValue(readerFd)));
        yield return reader;
    }

    /// <summary>Starts this executable in a role; the child's stdin is a pipe whose closing ends it.</summary>
    public static Process Start(string role, string argument, bool redirectOutput)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "sockpeer")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = redirectOutput,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(role);
        info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new CliException($"cannot start {role}");
    }

    private static void ExitWhenStdinCloses(Action cleanup)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                byte[] buffer = new byte[256];
                while (stdin.Read(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            cleanup();
            Environment.Exit(0);
        })
        { IsBackground = true };
        thread.Start();
    }

    private static int RunServer(string path)
    {
        var handlers = new List<Process>();
        ExitWhenStdinCloses(() =>
        {
            lock (handlers)
            {
                foreach (var h in handlers)
                {
                    try
                    {
                        h.Kill();
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            }
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        });
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        while (true)
        {
            using Socket accepted = listener.Accept();
            int fd = InheritableDescriptor.Duplicate(accepted.SafeHandle);
            try
            {
                var handler = Start(Handler, fd.ToString(System.Globalization.CultureInfo.InvariantCulture), redirectOutput: false);
                lock (handlers)
                {
                    handlers.Add(handler);
                }
            }
            finally
            {
                InheritableDescriptor.Close(fd); // like a forking server, the parent keeps no copy
            }
        }
    }

    private static int RunHandler(int fd)
    {
        ExitWhenStdinCloses(() => { });
        using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        int n = 0;
        while (reader.ReadLine() is { } line)
        {
            writer.WriteLine($"{++n} -> {line}");
        }
        return 0;
    }

    private static int RunClient(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        int shared = InheritableDescriptor.Duplicate(socket.SafeHandle);
        Process reader;
        try
        {
            reader = Start(Reader, shared.ToString(System.Globalization.CultureInfo.InvariantCulture), redirectOutput: false);
        }
        finally
        {
            InheritableDescriptor.Close(shared);
        }
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        Console.Out.WriteLine($"client {Environment.ProcessId} {fd} {reader.Id}");
        Console.Out.Flush();
        // The parent only sends; the child reads the replies from the same socket.
        while (Console.In.ReadLine() is { } line)
        {
            socket.Send(Encoding.UTF8.GetBytes(line + "\n"));
        }
        try
        {
            reader.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        return 0;
    }

    private static int RunReader(int fd)
    {
        ExitWhenStdinCloses(() => { });
        using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            Console.Out.WriteLine($"reply {line}");
            Console.Out.Flush();
        }
        return 0;
    }
}
