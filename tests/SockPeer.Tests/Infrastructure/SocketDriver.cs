using System.Diagnostics;
using System.Text.Json;

namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// A python3 process that makes sockets step by step, on command: each <see cref="Do"/> sends a few
/// lines of python, run in the process's globals, whose reply(...) comes back as JSON. Tests that
/// watch changes need this: the change must happen after the watcher started. <c>D</c> is a private
/// directory for socket files; the process and its directory go away on dispose. Forked children
/// should call <c>orphan_exit()</c>, which ends them when this process ends.
/// </summary>
public sealed class SocketDriver : IDisposable
{
    private const string Script = """
        import json, os, socket, sys, time, signal, subprocess, errno
        D = sys.argv[1]
        PARENT = os.getpid()
        def ino(s):
            return os.fstat(s.fileno()).st_ino
        def netns():
            return os.stat("/proc/self/ns/net").st_ino
        def reply(**info):
            info.setdefault("pid", os.getpid())
            sys.stdout.write(json.dumps(info) + "\n")
            sys.stdout.flush()
        def orphan_exit():
            # A forked child: live until the driver is gone, then exit without touching stdin.
            while os.getppid() == PARENT:
                time.sleep(0.05)
            os._exit(0)
        def nonblocking_connect(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(path)
            except BlockingIOError:
                pass
            return s
        reply(ready=True)
        for line in sys.stdin:
            try:
                exec(json.loads(line), globals())
            except Exception as e:
                reply(error=repr(e))
        """;

    private readonly Process _process;

    /// <summary>The private directory (python's <c>D</c>).</summary>
    public string Dir { get; }

    /// <summary>The driver's pid.</summary>
    public int Pid => _process.Id;

    public SocketDriver(string? dir = null)
    {
        Dir = dir ?? Directory.CreateTempSubdirectory("sockpeer-watch-").FullName;
        _ownsDir = dir is null;
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add(Dir);
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start python3");
        Reply(TimeSpan.FromSeconds(30));
    }

    private readonly bool _ownsDir;

    /// <summary>Runs <paramref name="code"/> (which must call reply(...) once) and returns the reply.</summary>
    public JsonElement Do(string code)
    {
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(Dedent(code)));
        _process.StandardInput.Flush();
        var reply = Reply(TimeSpan.FromSeconds(30));
        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"driver failed: {error.GetString()}\n{code}");
        }
        return reply;
    }

    private JsonElement Reply(TimeSpan timeout)
    {
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout) || line.Result is null)
        {
            throw new InvalidOperationException("the socket driver did not answer");
        }
        using var doc = JsonDocument.Parse(line.Result);
        return doc.RootElement.Clone();
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "").Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (IOException)
        {
        }
        _process.Dispose();
        if (_ownsDir)
        {
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
