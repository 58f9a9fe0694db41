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
        def held(s):
            return dict(fd=s.fileno(), inode=ino(s), netns=netns())
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
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(Scenario.Dedent(code)));
        _process.StandardInput.Flush();
        var reply = Reply(TimeSpan.FromSeconds(30));
        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"driver failed: {error.GetString()}\n{code}");
        }
        return reply;
    }

    /// <summary>
    /// Binds D/<paramref name="file"/> and listens with <paramref name="backlog"/>; the socket is the
    /// python variable <paramref name="variable"/> for later steps (such as "l.accept()").
    /// </summary>
    public SceneSocket Listen(string file = "s.sock", int backlog = 8, string variable = "l")
        => Held(Do($"""
            {variable} = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            {variable}.bind(os.path.join(D, {JsonSerializer.Serialize(file)}))
            {variable}.listen({backlog})
            reply(**held({variable}))
            """));

    /// <summary>Binds a datagram socket to D/<paramref name="file"/>, kept as the python variable <paramref name="variable"/>.</summary>
    public SceneSocket Bind(string file, string variable)
        => Held(Do($"""
            {variable} = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            {variable}.bind(os.path.join(D, {JsonSerializer.Serialize(file)}))
            reply(**held({variable}))
            """));

    /// <summary>Connects a stream client to D/<paramref name="file"/>, kept as the python variable <paramref name="variable"/>.</summary>
    public SceneSocket Connect(string file = "s.sock", string variable = "c")
        => Held(Do($"""
            {variable} = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            {variable}.connect(os.path.join(D, {JsonSerializer.Serialize(file)}))
            reply(**held({variable}))
            """));

    /// <summary>Accepts one client on the listener variable <paramref name="listener"/>, kept as <paramref name="variable"/>.</summary>
    public SceneSocket Accept(string listener = "l", string variable = "a")
        => Held(Do($"{variable}, _ = {listener}.accept(); reply(**held({variable}))"));

    private static SceneSocket Held(JsonElement reply) => new(
        reply.GetProperty("pid").GetInt32(), reply.GetProperty("fd").GetInt32(),
        reply.GetProperty("inode").GetUInt32(), reply.GetProperty("netns").GetUInt64());

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
