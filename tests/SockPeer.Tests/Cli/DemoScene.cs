using System.Diagnostics;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Cli;

/// <summary>
/// The scene `sockpeer demo` makes, kept alive for a test: the demo's echo server (which hands each
/// connection to a handler process) and its client (whose socket a reader child shares), started
/// through the published binary's hidden roles. The roles run from a copy of the binary in a
/// private directory, so DemoTests' scan for leftover demo processes of the real binary cannot see
/// them. Dispose closes their stdin: each role then stops its children.
/// </summary>
public sealed class DemoScene : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Process _server;
    private readonly Process _client;

    public string Dir { get; }
    public string SocketPath { get; }
    public int ServerPid => _server.Id;
    public int ClientPid => _client.Id;
    public int ClientFd { get; }
    public int ReaderPid { get; }
    public int HandlerPid { get; }

    public DemoScene()
    {
        Dir = Directory.CreateTempSubdirectory("sockpeer-graph-demo-").FullName;
        string exe = Path.Combine(Dir, "sockpeer");
        File.Copy(SockpeerCli.Path, exe);
        SocketPath = Path.Combine(Dir, "echo.sock");
        _server = Start(exe, "__demo-server", SocketPath);
        Expect(_server, l => l == "ready", "the demo server did not start");
        _client = Start(exe, "__demo-client", SocketPath);
        string[] hello = Expect(_client, l => l.StartsWith("client ", StringComparison.Ordinal), "the demo client did not start").Split(' ');
        ClientFd = int.Parse(hello[2]);
        ReaderPid = int.Parse(hello[3]);
        // A reply read by the reader means the server has started the connection's handler.
        _client.StandardInput.WriteLine("hello");
        _client.StandardInput.Flush();
        Expect(_client, l => l == "reply 1 -> hello", "the demo handler did not answer");
        HandlerPid = ChildOf(ServerPid);
    }

    private static Process Start(string exe, string role, string path)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(role);
        info.ArgumentList.Add(path);
        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {role}");
    }

    private static string Expect(Process p, Func<string, bool> wanted, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var line = p.StandardOutput.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                break;
            }
            if (wanted(line.Result))
            {
                return line.Result;
            }
        }
        throw new InvalidOperationException(failure);
    }

    /// <summary>The one child of <paramref name="pid"/> (the handler), from /proc/*/stat.</summary>
    private static int ChildOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == pid)
                {
                    return child;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        throw new InvalidOperationException($"no handler process under the demo server {pid}");
    }

    public void Dispose()
    {
        foreach (var p in new[] { _client, _server })
        {
            try
            {
                p.StandardInput.Close();
                if (!p.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
