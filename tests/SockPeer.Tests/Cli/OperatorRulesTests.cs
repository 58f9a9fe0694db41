using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Namespaces;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Cli;

/// <summary>
/// One process of the test's making, without CAP_SYS_PTRACE, holding one of every kind: a Unix
/// listener on a file and on an abstract name, a pipe, a pty, a TCP listener with a connection, a FIFO
/// it keeps open and one nobody opens. sockpeer runs without CAP_SYS_PTRACE too: it reads that
/// process, and is denied every root process that keeps the capability (the test runner at least),
/// so every snapshot carries a processes_denied warning whose pids are known.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OperatorRulesScene : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sockpeer-rules-").FullName;

    public Scenario Scenario { get; }

    public OperatorRulesScene()
    {
        File.SetUnixFileMode(Dir, (UnixFileMode)0b111_101_101);
        Scenario = Scenario.StartAs(Confined.Without("sys_ptrace"), $$"""
            import pty
            d = {{Json(Dir)}}
            ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ul.bind(d + "/served.sock"); ul.listen(4)
            ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ab.bind(b"\0sockpeer-rules-" + str(os.getpid()).encode()); ab.listen(4)
            uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); uc.connect(d + "/served.sock")
            pr, pw = os.pipe()
            master, slave = pty.openpty()
            tl = socket.socket(socket.AF_INET, socket.SOCK_STREAM); tl.bind(("127.0.0.1", 0)); tl.listen(4)
            tc = socket.socket(socket.AF_INET, socket.SOCK_STREAM); tc.connect(tl.getsockname())
            ts, _ = tl.accept()
            os.mkfifo(d + "/open.fifo"); os.mkfifo(d + "/closed.fifo")
            fr = os.open(d + "/open.fifo", os.O_RDONLY | os.O_NONBLOCK)
            ready(path=d + "/served.sock", abstract="@sockpeer-rules-" + str(os.getpid()), pipeWrite=pw, master=master,
                  tcpClient=tc.fileno(), tcpPort=tl.getsockname()[1], openFifo=d + "/open.fifo", closedFifo=d + "/closed.fifo")
            hold()
            """);
    }

    private static string Json(string s) => JsonSerializer.Serialize(s);

    public void Dispose()
    {
        Scenario.Dispose();
        Directory.Delete(Dir, recursive: true);
    }
}

/// <summary>
/// Issue 23, points 3, 4, 5 and 10: `-q` silences warnings for every command and kind; "not found"
/// is exit 1 with its answer still printed (a document with --json) for every kind of target, while
/// a failure is one `sockpeer:` line and no document; every document carries `warningDetails` with
/// codes and pids, and the human warning names the pids.
/// </summary>
[Collection(WarningCliCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OperatorRulesTests(OperatorRulesScene scene, ITestOutputHelper output) : IClassFixture<OperatorRulesScene>
{
    private Scenario S => scene.Scenario;

    private static void RequireRoot() => Skip.IfNot(Ns.IsRoot, "needs root: the denied processes are made with setpriv");

    private CliResult Run(params string[] args)
    {
        var r = Confined.Run([.. Confined.Without("sys_ptrace"), SockpeerCli.Path, .. args]);
        output.WriteLine($"sockpeer {string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stdout[..Math.Min(r.Stdout.Length, 400)]}\nstderr: {r.Stderr}");
        return r;
    }

    private string Pid => S.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every human command and kind, with the answer it must still give on stdout.</summary>
    public static TheoryData<string, string> HumanCommands() => new()
    {
        { "graph", "digraph" },
        { "graph --format mermaid", "flowchart" },
        { "graph --format svg", "<svg" },
        { "peer PID tcpClient", "tcp" },
        { "peer PID master", "pty" },
        { "peer PID pipeWrite", "pipe" },
        { "who 127.0.0.1:tcpPort", "listener" },
        { "list --kind tcp --pid PID", "tcp" },
    };

    private string[] Args(string command) => [.. command.Split(' ').Select(w => w switch
    {
        "PID" => Pid,
        "tcpClient" or "master" or "pipeWrite" => S.Int(w).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "127.0.0.1:tcpPort" => $"127.0.0.1:{S.Int("tcpPort")}",
        "path" => S.Str("path"),
        _ => w,
    })];

    [SkippableTheory]
    [MemberData(nameof(HumanCommands))]
    public void Quiet_silences_the_warnings_of_every_command_and_kind(string command, string answer)
    {
        RequireRoot();
        Skip.If(command.Contains("svg", StringComparison.Ordinal) && !File.Exists("/usr/bin/dot"), "no Graphviz");
        var loud = Run(Args(command));
        Assert.True(loud.ExitCode == 0, loud.Stderr);
        Assert.Contains("sockpeer: warning: ", loud.Stderr, StringComparison.Ordinal); // the denied processes: there is something to silence

        var quiet = Run([.. Args(command), "-q"]);
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.Equal("", quiet.Stderr);
        Assert.Contains(answer, quiet.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(loud.Stdout.Length > 0, quiet.Stdout.Length > 0);
    }

    /// <summary>Not found, for each kind of target: the human answer says so on stdout, exit 1, nothing but warnings on stderr.</summary>
    public static TheoryData<string, string> NotFound() => new()
    {
        { "who missing-path", "no such file, and no socket is bound to that name" },
        { "who @missing", "no socket is bound to this name now" },
        { "who 127.0.0.1:free", "nothing listens or is bound there now" },
        { "who [::1]:free", "nothing listens or is bound there now" },
        { "who closed-fifo", "nothing listens or is bound there now" },
        { "peer sleeper", "holds no Unix socket" },
        { "list --path missing-path", "TYPE" },
        { "graph --path missing-path", "digraph" },
    };

    private string[] NotFoundArgs(string command, int sleeper, int port) => [.. command.Split(' ').Select(w => w switch
    {
        "missing-path" => Path.Combine(scene.Dir, "never-bound.sock"),
        "@missing" => "@sockpeer-rules-never-bound-" + Pid,
        "127.0.0.1:free" => $"127.0.0.1:{port}",
        "[::1]:free" => $"[::1]:{port}",
        "closed-fifo" => S.Str("closedFifo"),
        "sleeper" => sleeper.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => w,
    })];

    /// <summary>A port nothing listens on or is bound to: the kernel gave it, then it was closed.</summary>
    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        s.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [SkippableTheory]
    [MemberData(nameof(NotFound))]
    public void Not_found_is_exit_1_with_the_answer_on_stdout_and_the_empty_document_with_json(string command, string said)
    {
        RequireRoot();
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            string[] args = NotFoundArgs(command, sleeper.Id, FreePort());
            var human = Run([.. args, "-q"]);
            Assert.Equal(1, human.ExitCode);
            Assert.Contains(said, human.Stdout, StringComparison.Ordinal);
            Assert.Equal("", human.Stderr); // not an error: no "sockpeer:" line; -q took the warnings and hints

            var json = Run([.. args, command.StartsWith("graph", StringComparison.Ordinal) ? "--format=json" : "--json"]);
            Assert.Equal(1, json.ExitCode);
            Assert.Equal("", json.Stderr);
            string def = command switch
            {
                _ when command.StartsWith("graph", StringComparison.Ordinal) => "graph",
                _ when command.StartsWith("list", StringComparison.Ordinal) || command.StartsWith("peer", StringComparison.Ordinal) => "list",
                _ when command.Contains(':', StringComparison.Ordinal) || command.Contains("fifo", StringComparison.Ordinal) => "endpointWho",
                _ => "who",
            };
            SchemaAssert.Valid(json.Stdout, def);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    /// <summary>The found counterparts of the kinds above: exit 0.</summary>
    [SkippableFact]
    public void Found_is_exit_0_for_every_kind()
    {
        RequireRoot();
        foreach (string target in new[] { S.Str("path"), S.Str("abstract"), $"127.0.0.1:{S.Int("tcpPort")}", S.Str("openFifo") })
        {
            var r = Run("who", target, "-q");
            Assert.True(r.ExitCode == 0, $"who {target}: exit {r.ExitCode}: {r.Stdout}{r.Stderr}");
        }
        Assert.Equal(0, Run("peer", Pid, "-q").ExitCode);
    }

    /// <summary>A failure (the question names no socket): one `sockpeer:` line on stderr, no document, exit 1.</summary>
    [SkippableFact]
    public void Failure_is_one_line_on_stderr_and_no_document()
    {
        RequireRoot();
        string notSocket = Path.Combine(scene.Dir, "plain");
        File.WriteAllText(notSocket, "");
        foreach (var args in new[] { new[] { "peer", "4000000000" }, ["who", notSocket], ["peer", "4000000000", "--json"], ["who", notSocket, "--json"] })
        {
            var r = Run([.. args, "-q"]);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("", r.Stdout);
            Assert.Single(Ns.Lines(r.Stderr), l => l.StartsWith("sockpeer: ", StringComparison.Ordinal) && !l.StartsWith("sockpeer: warning:", StringComparison.Ordinal));
        }
    }

    /// <summary>Every document's warningDetails: processes_denied with the pids of processes the confined sockpeer could not read.</summary>
    public static TheoryData<string, string> Documents() => new()
    {
        { "list --pid PID --json", "list" },
        { "list --pid PID --summary --json", "summary" },
        { "who path --json", "who" },
        { "graph --format json", "graph" },
        { "peer PID pipeWrite --json", "endpointPeer" },
        { "who 127.0.0.1:tcpPort --json", "endpointWho" },
    };

    [SkippableTheory]
    [MemberData(nameof(Documents))]
    public void Every_document_carries_warning_details_with_codes_and_pids(string command, string def)
    {
        RequireRoot();
        var r = Run(Args(command));
        Assert.True(r.ExitCode == 0, r.Stderr);
        SchemaAssert.Valid(r.Stdout, def);
        var doc = r.Json();
        var warnings = doc.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        var details = doc.GetProperty("warningDetails").EnumerateArray().ToArray();
        Assert.Equal(warnings, details.Select(d => d.GetProperty("message").GetString()!).ToArray()); // the same warnings, the same order
        var denied = Assert.Single(details, d => d.GetProperty("code").GetString() == "processes_denied");
        int[] pids = [.. denied.GetProperty("pids").EnumerateArray().Select(p => p.GetInt32())];
        int count = denied.GetProperty("count").GetInt32();
        Assert.NotEmpty(pids);
        Assert.InRange(pids.Length, 1, Math.Min(5, count));
        Assert.DoesNotContain(S.Pid, pids); // the scene's process has the confined sockpeer's capabilities: it was read
        // Real pids: all positive, and at least one still a process (a denied process of another test may
        // have exited since the run; pid 1 never does).
        Assert.All(pids, p => Assert.True(p > 0, $"pid {p}"));
        Assert.True(pids.Any(p => p == 1 || Directory.Exists($"/proc/{p}")), $"none of the pids {string.Join(", ", pids)} is a process");
    }

    [SkippableFact]
    public void Human_warning_names_the_denied_pids_then_how_many_more()
    {
        RequireRoot();
        var json = Run("who", $"127.0.0.1:{S.Int("tcpPort")}", "--json").Json();
        var denied = json.GetProperty("warningDetails").EnumerateArray().Single(d => d.GetProperty("code").GetString() == "processes_denied");
        int[] pids = [.. denied.GetProperty("pids").EnumerateArray().Select(p => p.GetInt32())];

        // Another run: other processes on the host may come and go between the two, so the count is
        // read from the line's own sentence ("N of M processes could not be inspected").
        var human = Run("who", $"127.0.0.1:{S.Int("tcpPort")}");
        string line = Assert.Single(Ns.Lines(human.Stderr), l => l.Contains("could not be inspected", StringComparison.Ordinal));
        var m = System.Text.RegularExpressions.Regex.Match(line, @"^sockpeer: warning: (\d+) of \d+ processes could not be inspected .*\(pids? ([\d, ]+?)(?: and (\d+) more)?\)$");
        Assert.True(m.Success, line);
        int count = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int[] named = [.. m.Groups[2].Value.Split(", ").Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(Math.Min(count, 5), named.Length);
        Assert.Equal(count - named.Length, m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
        Assert.Equal(named.Order(), named);
        Assert.Equal(pids[0], named[0]); // the lowest denied pid (pid 1, confined sockpeer cannot read init) in both runs
    }

    /// <summary>
    /// Point 10: `who` on a socket file that was deleted lists the sockets still bound to the name under
    /// `listeners` (status deleted) with the connections they serve, `stale` empty, exit 0: what
    /// docs/schema.md says for a path that no longer exists.
    /// </summary>
    [Fact]
    public void Who_on_a_deleted_socket_file_lists_the_bound_socket_as_a_listener_with_status_deleted()
    {
        using var s = SocketScene.Build().Listen("gone").Connect("gone", accept: 1).Unlink("gone").Start();
        var r = SockpeerCli.Run("who", s.Socket("gone").Path!, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        SchemaAssert.Valid(r.Stdout, "who");
        var doc = r.Json();
        var listener = Assert.Single(doc.GetProperty("listeners").EnumerateArray());
        Assert.Equal(s.Inode("gone"), listener.GetProperty("inode").GetUInt32());
        Assert.Equal("deleted", listener.GetProperty("file").GetProperty("status").GetString());
        Assert.Empty(doc.GetProperty("stale").EnumerateArray());
        Assert.Single(doc.GetProperty("connections").EnumerateArray());
        string page = File.ReadAllText(Path.Combine(SockpeerCli.RepoRoot, "docs", "schema.md"));
        Assert.Contains("`listeners` holds the sockets\nstill bound to that name (each with `file.status` `\"deleted\"`)", page, StringComparison.Ordinal);
    }
}
