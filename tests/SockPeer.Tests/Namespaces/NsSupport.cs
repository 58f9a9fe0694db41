using System.Diagnostics;
using System.Runtime.InteropServices;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Namespaces;

/// <summary>Root checks, commands and namespace facts shared by the namespace tests.</summary>
internal static partial class Ns
{
    public const string NeedsRoot = "needs root (CAP_SYS_ADMIN) to create and enter network namespaces";

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Skips the test unless running as root with the tools the scenarios use.</summary>
    public static void RequireRoot()
    {
        Xunit.Skip.IfNot(IsRoot, NeedsRoot);
        Xunit.Skip.IfNot(Tool("unshare") && Tool("ip"), "needs unshare (util-linux) and ip (iproute2)");
    }

    public static bool Tool(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin").Any(d => File.Exists(System.IO.Path.Combine(d, name)));

    /// <summary>The inode of a network namespace file (/proc/PID/ns/net, /run/netns/NAME).</summary>
    public static ulong Inode(string nsPath)
    {
        string target = File.ResolveLinkTarget(nsPath, returnFinalTarget: false)?.LinkTarget ?? "";
        if (target.StartsWith("net:[", StringComparison.Ordinal))
        {
            return ulong.Parse(target[5..^1]);
        }
        return Run("stat", "-L", "-c", "%i", nsPath).Stdout.Trim() is var s && ulong.TryParse(s, out ulong ino)
            ? ino
            : throw new InvalidOperationException($"cannot stat {nsPath}");
    }

    /// <summary>The test process's own network namespace.</summary>
    public static ulong Current => Inode("/proc/self/ns/net");

    /// <summary>Runs a command to completion.</summary>
    public static CliResult Run(string file, params string[] args)
    {
        return ChildProcess.Run(file, args, TimeSpan.FromSeconds(120));
    }

    /// <summary>A name no other test (or run) uses.</summary>
    public static string UniqueName(string what) => $"sockpeer-{what}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Lines of stderr that are not empty.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Asserts a run ended without a .NET stack trace or unhandled exception.</summary>
    public static void NoStackTrace(CliResult result)
    {
        Xunit.Assert.DoesNotContain("   at ", result.Stderr);
        Xunit.Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// A named network namespace (ip netns add), deleted on dispose even when the test failed. Dispose
/// the scenarios that run in it first (declare this one before them).
/// </summary>
internal sealed class NamedNetNs : IDisposable
{
    public string Name { get; }

    public string Path => $"/run/netns/{Name}";

    public ulong Inode { get; }

    public NamedNetNs()
    {
        Name = Ns.UniqueName("ns");
        var add = Ns.Run("ip", "netns", "add", Name);
        if (add.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip netns add {Name} failed: {add.Stderr}");
        }
        Inode = Ns.Inode(Path);
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Ns.Run("ip", "netns", "delete", Name);
        }
    }
}

/// <summary>Python helpers for scenarios whose children run in other namespaces.</summary>
internal static class NsScripts
{
    /// <summary>
    /// spawn(prefix, code, *args) (or start + wait_report): runs `prefix + [python3, -c, CHILD_PRELUDE + code, *args]` (prefix such as
    /// ["unshare", "--net"] or ["ip", "netns", "exec", NAME]) and returns the JSON the child passed to
    /// report(...). The child inherits stdin and exits when the test closes it. netns_of(pid) gives
    /// a process's network namespace inode.
    /// </summary>
    public const string Helpers = """
        import subprocess
        CHILD_PRELUDE = '''
        import json, os, socket, sys, time
        def ino(s):
            return os.fstat(s.fileno()).st_ino
        def netns():
            return os.stat("/proc/self/ns/net").st_ino
        def report(**info):
            info.setdefault("pid", os.getpid())
            info.setdefault("netns", netns())
            sys.stdout.write(json.dumps(info) + "\\n")
            sys.stdout.flush()
        def hold():
            try:
                sys.stdin.read()
            except Exception:
                pass
            os._exit(0)
        '''
        def start(prefix, code, *args):
            return subprocess.Popen(list(prefix) + ["python3", "-c", CHILD_PRELUDE + code] + [str(a) for a in args],
                                    stdout=subprocess.PIPE)
        def wait_report(p):
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("child in another namespace died before reporting")
            return json.loads(line)
        def spawn(prefix, code, *args):
            return wait_report(start(prefix, code, *args))
        def connect_when_listening(path, timeout=20):
            deadline = time.time() + timeout
            while True:
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    c.connect(path)
                    return c
                except (FileNotFoundError, ConnectionRefusedError):
                    c.close()
                    if time.time() > deadline:
                        raise
                    time.sleep(0.02)
        def netns_of(pid):
            return os.stat(f"/proc/{pid}/ns/net").st_ino
        """;

    /// <summary>Wraps a scenario body with <see cref="Helpers"/>.</summary>
    public static Scenario Start(string body) => Scenario.Start(Helpers + "\n" + body);

    /// <summary>
    /// Runs <paramref name="code"/> (with the child prelude, send_fds and array) in a new network namespace of
    /// its own, through <paramref name="prefix"/> (such as setpriv ... --) when given; the code ends with
    /// report(...) and hold(). The ready line is the child's report: "pid" is the child's, "netns" its
    /// namespace, which /proc/PID/ns/net names to --netns and InventoryOptions.NetNsTarget. Nothing else on
    /// the host is in that namespace, so host-wide facts (orphans, queues holding descriptors) cannot interfere.
    /// </summary>
    public static Scenario StartInOwnNetNs(string code, params string[] prefix)
    {
        string argv = string.Join(", ", prefix.Append("unshare").Append("--net").Select(p => System.Text.Json.JsonSerializer.Serialize(p)));
        return Start($$"""
            code = '''
            import array
            def send_fds(sock, fds, data=b"x"):
                sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            {{code.Replace("\r", "")}}
            '''
            child = spawn([{{argv}}], code)
            ready(**child)
            hold()
            """);
    }
}
