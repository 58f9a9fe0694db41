using System.Diagnostics;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// sockpeer run as nobody (setpriv, util-linux) while root holds the sockets: sock_diag needs no
/// privilege, so every socket is still listed; the fd tables of other users' processes cannot be
/// read, which is said once, as a warning, and is not an error.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnprivilegedTests : IDisposable
{
    private const string Nobody = "65534";
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-nobody-").FullName;
    private readonly string _binary;

    public UnprivilegedTests()
    {
        // The checkout may sit where nobody cannot reach; a copy in a world-readable directory can be run.
        _binary = Path.Combine(_dir, "sockpeer");
        File.Copy(SockpeerCli.Path, _binary);
        var rx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_dir, rx);
        File.SetUnixFileMode(_binary, rx);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Root's connection on root.sock (client and server end in one process) and a socketpair.</summary>
    private static SocketScene Script() => SocketScene.Build()
        .Listen("root")
        .Connect("root", accept: 1)
        .Pair("pair")
        .Start();

    private static readonly string[] Names = ["root", "root.client0", "root.accepted0", "pair.a", "pair.b"];

    private CliResult RunAsNobody(params string[] args)
    {
        return ChildProcess.Run("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", _binary, .. args], TimeSpan.FromSeconds(120), info =>
        {
            info.WorkingDirectory = _dir;
            info.Environment["HOME"] = _dir;
        });
    }

    private static void SkipUnlessRoot() => Skip.IfNot(HostFacts.IsRoot, "needs root: the test switches to uid 65534 with setpriv");

    [SkippableFact]
    public void Json_lists_root_s_sockets_and_warns_once_about_processes_it_could_not_inspect()
    {
        SkipUnlessRoot();
        using var s = Script();
        var r = RunAsNobody("list", "--json");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.True(r.Stderr.Length == 0, $"with --json, warnings belong in the document: {r.Stderr}");
        SchemaAssert.Valid(r.Stdout, "list");
        var doc = r.Json();
        Assert.True(doc.GetProperty("peersKnown").GetBoolean());
        foreach (string name in Names)
        {
            var socket = doc.Socket(s.Inode(name));
            Assert.Empty(socket.Holders()); // held by root's python, whose fds nobody cannot read
            Assert.False(socket.GetProperty("inFlight").GetBoolean(), $"{name} is not in flight, only not inspectable");
        }
        Assert.Equal(s.Inode("root.accepted0"), doc.Socket(s.Inode("root.client0")).NullableUInt("peer"));
        Assert.Equal(s.Inode("root"), doc.Socket(s.Inode("root.accepted0")).NullableUInt("listener"));

        var warnings = doc.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        var denied = Assert.Single(warnings, w => w.Contains("could not be inspected", StringComparison.Ordinal));
        Assert.Contains("processes", denied);
    }

    [SkippableFact]
    public void Human_view_lists_root_s_sockets_and_prints_the_warning_once_on_stderr()
    {
        SkipUnlessRoot();
        using var s = Script();
        var r = RunAsNobody("list");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        foreach (string name in Names)
        {
            Assert.Contains($"#{s.Inode(name)} ", r.Stdout);
        }
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("sockpeer: warning: ", l));
        Assert.Single(lines, l => l.Contains("could not be inspected", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Peer_by_inode_works_and_peer_by_pid_fd_of_root_s_process_is_denied()
    {
        SkipUnlessRoot();
        using var s = Script();
        var r = RunAsNobody("peer", s.Inode("root.client0").ToString(), "--json");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        SchemaAssert.Valid(r.Stdout, "peer");
        var doc = r.Json();
        Assert.Equal(s.Inode("root.accepted0"), doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Single(doc.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("could not be inspected", StringComparison.Ordinal));

        var denied = RunAsNobody("peer", s.Pid.ToString(), s.Socket("root.client0").Fd.ToString());
        SockpeerCli.AssertOneErrorLine(denied, 1, "peer PID FD of root's process as nobody");
        Assert.Contains("permission denied", denied.Stderr);
    }

    [SkippableFact]
    public void Root_without_cap_sys_ptrace_is_told_the_processes_it_could_not_inspect()
    {
        // Root is denied the fd links of a process whose capabilities it lacks (the ptrace check):
        // the directory lists, every readlink fails. Without CAP_SYS_PTRACE, that is every full-root process.
        SkipUnlessRoot();
        using var s = Script();
        var r = ChildProcess.Run("setpriv", ["--bounding-set", "-sys_ptrace", "--", SockpeerCli.Path, "list", "--json"], TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var doc = r.Json();
        foreach (string name in Names)
        {
            Assert.Empty(doc.Socket(s.Inode(name)).Holders());
        }
        var warnings = doc.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Single(warnings, w => w.Contains("could not be inspected (permission denied even to root)", StringComparison.Ordinal));
    }
}
