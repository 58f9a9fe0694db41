using System.Diagnostics;
using System.Text.Json;

namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// Real sockets made by a separate OS process: a python3 script (with <see cref="Prelude"/>) that
/// sets them up, prints one JSON line describing them (pids, fds, inodes, paths) via ready(...),
/// and keeps them until its stdin closes. Forked children inherit stdin and exit with it.
/// </summary>
public sealed class Scenario : IDisposable
{
    /// <summary>Helpers available to every scenario script.</summary>
    public const string Prelude = """
        import json, os, socket, sys, time, array, tempfile, signal
        def ino(s):
            return os.fstat(s.fileno()).st_ino
        def ready(**info):
            info.setdefault("pid", os.getpid())
            sys.stdout.write(json.dumps(info) + "\n")
            sys.stdout.flush()
        def hold():
            # Block until the test closes our stdin; forked children call this too.
            try:
                sys.stdin.read()
            except Exception:
                pass
            os._exit(0)
        def child_report(w, **info):
            os.write(w, (json.dumps(info) + "\n").encode())
        def read_report(r):
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = os.read(r, 4096)
                if not chunk:
                    raise RuntimeError("child died before reporting")
                buf += chunk
            return json.loads(buf)
        def send_fds(sock, fds, data=b"x"):
            sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        """;

    private readonly Process _process;
    private readonly string _scriptPath;
    private readonly string _workDir;

    /// <summary>What the script passed to ready(...).</summary>
    public JsonElement Info { get; }

    /// <summary>A private temporary directory the script got as argv[1].</summary>
    public string WorkDir => _workDir;

    private Scenario(Process process, string scriptPath, string workDir, JsonElement info)
    {
        _process = process;
        _scriptPath = scriptPath;
        _workDir = workDir;
        Info = info;
    }

    /// <summary>Runs <paramref name="script"/> (after the prelude) and waits for its ready line.</summary>
    public static Scenario Start(string script, TimeSpan? timeout = null) => StartAs([], script, timeout);

    /// <summary>
    /// As <see cref="Start"/>, with python3 run through <paramref name="prefix"/> (such as
    /// <see cref="Confined.Nobody"/>): the work directory is then open to every user.
    /// </summary>
    public static Scenario StartAs(string[] prefix, string script, TimeSpan? timeout = null)
    {
        string workDir = Directory.CreateTempSubdirectory("sockpeer-test-").FullName;
        string scriptPath = Path.Combine(workDir, "scenario.py");
        File.WriteAllText(scriptPath, Prelude + "\n" + Dedent(script));
        if (prefix.Length > 0 && OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(workDir, (UnixFileMode)0b111_111_111);
            File.SetUnixFileMode(scriptPath, (UnixFileMode)0b110_100_100);
        }
        var info = new ProcessStartInfo(prefix.Length > 0 ? prefix[0] : "python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        // Another user may not reach the caller's python (a pyenv shim under /root): the system's, if there is one.
        string python = prefix.Length > 0 && File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        foreach (string a in prefix.Skip(1).Append(python).Skip(prefix.Length > 0 ? 0 : 1))
        {
            info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(scriptPath);
        info.ArgumentList.Add(workDir);
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start python3");
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout ?? TimeSpan.FromSeconds(30)) || line.Result is null)
        {
            string err = process.HasExited ? process.StandardError.ReadToEnd() : "(timed out)";
            KillTree(process);
            throw new InvalidOperationException($"scenario did not get ready: {err}");
        }
        using var doc = JsonDocument.Parse(line.Result);
        return new Scenario(process, scriptPath, workDir, doc.RootElement.Clone());
    }

    /// <summary>An integer field of the ready line.</summary>
    public int Int(string name) => Info.GetProperty(name).GetInt32();

    /// <summary>A socket inode field of the ready line.</summary>
    public uint Inode(string name) => Info.GetProperty(name).GetUInt32();

    /// <summary>An array of socket inodes in the ready line.</summary>
    public uint[] InodeArray(string name) => Info.GetProperty(name).EnumerateArray().Select(x => x.GetUInt32()).ToArray();

    /// <summary>A string field of the ready line.</summary>
    public string Str(string name) => Info.GetProperty(name).GetString()!;

    /// <summary>The script's own pid.</summary>
    public int Pid => _process.Id;

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                KillTree(_process);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void KillTree(Process p)
    {
        try
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Removes the indent the lines share (python cares; C# raw strings keep it).</summary>
    internal static string Dedent(string script)
    {
        var lines = script.Replace("\r", "").Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }
}
