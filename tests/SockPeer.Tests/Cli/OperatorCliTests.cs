using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// A small host as an operator meets it: a listener held by the server and three forked workers,
/// one accepted connection, two clients pending on a backlog of 1 (full: the kernel admits backlog + 1), an abstract listener, a
/// listener whose socket file was deleted (with a connection), a socket file nothing serves any
/// more, and a process whose argv ends in empty strings (as after nginx rewrites it).
/// </summary>
public sealed class OperatorHost : IDisposable
{
    public OperatorHost()
    {
        Scene = SocketScene.Build()
            .Listen("app", backlog: 1)
            .ShareWithChild("app", "worker0")
            .ShareWithChild("app", "worker1")
            .ShareWithChild("app", "worker2")
            .Connect("app", heldBy: Holder.Child, accept: 1)     // app.client0, accepted
            .Connect("app", clients: 2, heldBy: Holder.Child)    // app.client1 and 2: pending, the backlog of 1 full
            .Listen("abstract", abstractName: System.Text.Encoding.ASCII.GetBytes(AbstractName))
            .Listen("gone")
            .Connect("gone", accept: 1)
            .Unlink("gone")
            .Bind("stale", SceneType.Stream)
            .Close("stale")
            .Pair("pair")
            .Then("""
                import subprocess
                os.set_inheritable(OBJ["pair.b"].fileno(), True)
                argv = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()", "", "", "  "], stdin=sys.stdin, close_fds=False)
                EXTRA["argv_pid"] = argv.pid
                """)
            .Start();
    }

    public string AbstractName { get; } = Namespaces.Ns.UniqueName("test");

    public SocketScene Scene { get; }

    /// <summary>The two clients waiting on app.sock.</summary>
    public uint[] Pending => [.. Scene.Pending("app").Select(c => c.Inode)];

    public void Dispose() => Scene.Dispose();
}

public class OperatorCliTests(OperatorHost host) : IClassFixture<OperatorHost>
{
    private SocketScene S => host.Scene;

    private static HashSet<uint> Inodes(CliResult r, string doc = "list")
    {
        SchemaAssert.Valid(r.Stdout, doc);
        return r.Json().GetProperty("sockets").EnumerateArray().Select(x => x.GetProperty("inode").GetUInt32()).ToHashSet();
    }

    private int Worker(int i) => S.Socket($"worker{i}").Pid;

    /// <summary>`peer PID` of a process with no socket: one line on stdout saying so and exit 1 (not found), not a bare table header.</summary>
    [Fact]
    public void Peer_on_a_pid_that_holds_no_socket_says_so_in_one_line()
    {
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            string pid = sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var r = SockpeerCli.Run("peer", pid);
            // Not found: exit 1 and the answer on stdout, as for every command (README, "Exit codes").
            Assert.Equal(1, r.ExitCode);
            Assert.Equal($"process {pid} holds no Unix socket; 'sockpeer peer INODE' takes a socket inode", r.Stdout.TrimEnd('\n'));
            Assert.All(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("sockpeer: warning: ", l, StringComparison.Ordinal));
            // The JSON document stays (an empty list), with the same exit status.
            var json = SockpeerCli.Run("peer", pid, "--json");
            Assert.Equal(1, json.ExitCode);
            Assert.Empty(Inodes(json));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public void Filters_before_the_subcommand_are_applied_not_dropped()
    {
        string pid = S.Socket("app.client0").Pid.ToString();
        var after = SockpeerCli.Run("list", "--pid", pid, "--json");
        var before = SockpeerCli.Run("--pid", pid, "list", "--json");
        Assert.Equal(0, before.ExitCode);
        Assert.Equal(Inodes(after), Inodes(before));
        // Inode numbers come from per-CPU batches: the client's need not be the lower one.
        Assert.Equal(new[] { S.Inode("app.client0"), S.Inode("app.accepted0") }.Order(), Inodes(before).Where(i => i == S.Inode("app.client0") || i == S.Inode("app.accepted0")).Order());
        Assert.DoesNotContain(S.Inode("abstract"), Inodes(before));
        // A command that cannot honour a filter refuses it: a usage error, never a silent success.
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("--pid", pid, "peer", S.Inode("app.client0").ToString()), 2, "--pid before peer");
    }

    [Fact]
    public void Options_after_the_arguments_parse()
    {
        var r = SockpeerCli.Run("peer", S.Inode("app.client0").ToString(), "-j");
        Assert.Equal(0, r.ExitCode);
        SchemaAssert.Valid(r.Stdout, "peer");
        var bad = SockpeerCli.Run("peer", S.Inode("app.client0").ToString(), "--pid", S.Socket("app.client0").Pid.ToString());
        SockpeerCli.AssertOneErrorLine(bad, 2, "peer INODE --pid X");
        Assert.Contains("--pid", bad.Stderr);
        Assert.DoesNotContain("Unrecognized", bad.Stderr);
    }

    [Fact]
    public void Who_takes_an_abstract_name()
    {
        var r = SockpeerCli.Run("who", "@" + host.AbstractName, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        SchemaAssert.Valid(r.Stdout, "who");
        var listener = Assert.Single(r.Json().GetProperty("listeners").EnumerateArray());
        Assert.Equal(S.Inode("abstract"), listener.GetProperty("inode").GetUInt32());
        var human = SockpeerCli.Run("who", "@" + host.AbstractName);
        Assert.Contains($"#{S.Inode("abstract")} ", human.Stdout);
        Assert.Equal(1, SockpeerCli.Run("who", "@" + host.AbstractName + "-nobody").ExitCode);
    }

    [Fact]
    public void Who_exits_1_when_nothing_is_bound_to_the_file()
    {
        var r = SockpeerCli.Run("who", S.Socket("stale").Path!);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no socket is bound", r.Stdout);
        Assert.Equal(1, SockpeerCli.Run("who", S.Socket("stale").Path!, "--json").ExitCode);
        Assert.Equal(0, SockpeerCli.Run("who", S.Socket("app").Path!).ExitCode);
    }

    [Fact]
    public void Who_on_a_deleted_socket_file_shows_the_sockets_still_bound_to_that_name()
    {
        var r = SockpeerCli.Run("who", S.Socket("gone").Path!);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("deleted", r.Stdout);
        Assert.Contains($"#{S.Inode("gone")} ", r.Stdout);
        var line = Assert.Single(r.Stdout.Split('\n'), l => l.Contains("<->", StringComparison.Ordinal));
        Assert.True(line.IndexOf($"#{S.Inode("gone.client0")}", StringComparison.Ordinal) < line.IndexOf($"#{S.Inode("gone.accepted0")}", StringComparison.Ordinal), line);
        var json = SockpeerCli.Run("who", S.Socket("gone").Path!, "-j");
        Assert.Equal(0, json.ExitCode);
        SchemaAssert.Valid(json.Stdout, "who");
        var listener = Assert.Single(json.Json().GetProperty("listeners").EnumerateArray());
        Assert.Equal("deleted", listener.GetProperty("file").GetProperty("status").GetString());
        Assert.Single(json.Json().GetProperty("connections").EnumerateArray());
        // A path that never existed is not found: exit 1, the answer saying so on stdout, no error line.
        var never = SockpeerCli.Run("who", S.Socket("gone").Path! + ".never", "-q");
        Assert.Equal(1, never.ExitCode);
        Assert.Contains("no such file, and no socket is bound to that name", never.Stdout, StringComparison.Ordinal);
        Assert.Equal("", never.Stderr);
    }

    [Fact]
    public void Pid_of_a_pending_client_selects_its_listener()
    {
        var listed = Inodes(SockpeerCli.Run("list", "--pid", S.Socket("app.client1").Pid.ToString(), "--json"));
        Assert.Contains(S.Inode("app"), listed);
        foreach (uint p in host.Pending)
        {
            Assert.Contains(p, listed);
        }
    }

    [Fact]
    public void A_list_that_matches_nothing_exits_1_and_still_writes_its_document()
    {
        var r = SockpeerCli.Run("list", "--path", S.Dir + "/nothing-here*", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(Inodes(r));
        Assert.Equal(1, SockpeerCli.Run("list", "--path", S.Dir + "/nothing-here*").ExitCode);
    }

    [Fact]
    public void An_invalid_glob_is_a_usage_error_and_a_glob_without_a_slash_matches_the_file_name()
    {
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("list", "--path", "/tmp/x/[a-"), 2, "unclosed [");
        var listed = Inodes(SockpeerCli.Run("list", "--path", "app.sock", "--json"));
        Assert.Contains(S.Inode("app"), listed);
        Assert.Contains(S.Inode("app.client0"), listed); // the other end of a connection to it
    }

    // Every run is narrowed to the scenario's pids: other tests' populations on this host can be huge.
    [Theory]
    [InlineData("listen", "app")]
    [InlineData("LISTEN", "abstract")]
    [InlineData("pair", "pair.a")]
    [InlineData("conn", "app.client0")]
    [InlineData("listening", "app")]
    public void State_takes_the_tables_words_case_insensitively(string state, string expected)
    {
        // Narrowed to the process that holds the expected socket.
        var r = SockpeerCli.Run("list", "--state", state, "-t", "STREAM", "-p", S.Socket(expected).Pid.ToString(), "-j");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var listed = Inodes(r);
        Assert.Contains(S.Inode(expected), listed);
        if (state.Equals("listen", StringComparison.OrdinalIgnoreCase))
        {
            Assert.DoesNotContain(S.Inode("app.accepted0"), listed);
        }
    }

    [Fact]
    public void State_pending_selects_the_waiting_clients_only()
    {
        var listed = Inodes(SockpeerCli.Run("list", "--state", "pending", "-p", $"{S.Pid},{S.Socket("app.client1").Pid}", "-j"));
        Assert.Contains(host.Pending[0], listed);
        Assert.DoesNotContain(S.Inode("app"), listed);
        Assert.DoesNotContain(S.Inode("app.client0"), listed);
    }

    [Fact]
    public void The_selected_pid_is_always_shown_in_an_abbreviated_holder_list_and_wide_shows_all()
    {
        int worker = Worker(2);
        var r = SockpeerCli.Run("list", "-p", worker.ToString());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var row = Assert.Single(r.Stdout.Split('\n'), l => l.Contains($"#{S.Inode("app")}", StringComparison.Ordinal) && l.Contains("listen", StringComparison.Ordinal));
        Assert.Contains($"[{worker}]:", row);
        Assert.Contains(" in 4 procs", row);
        var wide = SockpeerCli.Run("list", "-p", worker.ToString(), "-w");
        var wideRow = Assert.Single(wide.Stdout.Split('\n'), l => l.Contains($"#{S.Inode("app")}", StringComparison.Ordinal) && l.Contains("listen", StringComparison.Ordinal));
        foreach (int pid in new[] { S.Pid, Worker(0), Worker(1), worker })
        {
            Assert.Contains($"[{pid}]:", wideRow);
        }
    }

    [Fact]
    public void A_full_backlog_is_highlighted()
    {
        var r = SockpeerCli.Run("list", "--path", S.Socket("app").Path!, "--state", "listen");
        Assert.Contains("backlog 2/1 FULL", r.Stdout);
    }

    [Fact]
    public void Short_options_mean_the_long_ones_and_pids_repeat_or_comma_separate()
    {
        string a = S.Socket("app.client0").Pid.ToString(), b = S.Socket("app.client1").Pid.ToString();
        var comma = Inodes(SockpeerCli.Run("-p", $"{a},{b}", "-t", "stream", "-j"));
        var repeated = Inodes(SockpeerCli.Run("list", "--pid", a, "--pid", b, "--type", "stream", "--json"));
        Assert.Equal(repeated, comma);
        Assert.Contains(S.Inode("app.client0"), comma);
        Assert.Contains(host.Pending[0], comma);
        string uid = HostFacts.CurrentUid.ToString();
        string server = S.Pid.ToString();
        var longForm = Inodes(SockpeerCli.Run("list", "--user", uid, "--pid", server, "--netns", "current", "--json"));
        Assert.Contains(S.Inode("app"), longForm);
        Assert.Equal(longForm, Inodes(SockpeerCli.Run("list", "-u", uid, "-p", server, "-n", "current", "-j")));
    }

    [Fact]
    public void Argv_with_trailing_empty_arguments_is_trimmed_like_ps()
    {
        var doc = SockpeerCli.Json("list", "--pid", S.Scenario.Int("argv_pid").ToString());
        var process = Assert.Single(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == S.Scenario.Int("argv_pid"));
        var argv = process.GetProperty("cmdline").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal("import sys; sys.stdin.read()", argv[^1]);
    }

    [Fact]
    public void The_table_fits_80_columns()
    {
        var r = SockpeerCli.RunWith(new Dictionary<string, string> { ["COLUMNS"] = "80" }, "list", "-p", Worker(0).ToString());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 2, r.Stdout);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length}: {l}"));
        Assert.Contains(lines, l => l.Contains($"[{Worker(0)}]:", StringComparison.Ordinal));
    }

    [Fact]
    public void Output_columns_no_header_sort_and_summary_run_on_the_binary()
    {
        var r = SockpeerCli.Run("list", "-o", "TYPE,STATE,END,OTHER,NAME,USER,RECVQ,SENDQ,BACKLOG,NETNS,CONTAINER,FILE,INODE,PID", "-p", S.Pid.ToString());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["TYPE", "STATE", "END", "OTHER", "END", "NAME", "USER", "RECVQ", "SENDQ", "BACKLOG", "NETNS", "CONTAINER", "FILE", "INODE", "PID"],
            r.Stdout.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(r.Stdout.Split('\n'), l => l.Contains("2/1 FULL", StringComparison.Ordinal));

        var sorted = SockpeerCli.Run("list", "-o", "INODE", "-H", "--sort", "-inode", "-p", S.Pid.ToString());
        var inodes = sorted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToList();
        Assert.Equal(inodes.OrderByDescending(i => i), inodes);
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("list", "--sort", "bogus"), 2, "--sort bogus");
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run("list", "-o", "TYPE,NOPE"), 2, "-o NOPE");

        var summary = SockpeerCli.Run("-s", "-p", S.Pid.ToString());
        Assert.True(summary.ExitCode == 0, summary.Stderr);
        Assert.StartsWith("Total: ", summary.Stdout);
        Assert.Contains("stream", summary.Stdout);
        var json = SockpeerCli.Run("list", "--summary", "--json", "--path", S.Socket("app").Path!);
        SchemaAssert.Valid(json.Stdout, "summary");
        var full = Assert.Single(json.Json().GetProperty("summary").GetProperty("fullestListeners").EnumerateArray());
        Assert.Equal(S.Inode("app"), full.GetProperty("inode").GetUInt32());
        Assert.True(full.GetProperty("full").GetBoolean());
    }

    [Fact]
    public void Peer_of_a_pid_alone_lists_its_sockets_with_a_hint()
    {
        var r = SockpeerCli.Run("peer", S.Socket("app.client0").Pid.ToString());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"#{S.Inode("app.client0")}", r.Stdout);
        Assert.Contains($"#{S.Inode("app.accepted0")}", r.Stdout);
        Assert.Contains("hint:", r.Stderr);
        Assert.DoesNotContain("hint:", SockpeerCli.Run("peer", S.Socket("app.client0").Pid.ToString(), "-q").Stderr);
    }

    [Fact]
    public void Peer_and_who_show_queues_roles_and_users()
    {
        var r = SockpeerCli.Run("peer", S.Inode("app.client0").ToString());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("(client) recvq 0 sendq 0", r.Stdout);
        Assert.Contains("(server) recvq 0 sendq 0", r.Stdout);
        Assert.Contains(" user ", r.Stdout);
    }

    [Fact]
    public void Quiet_keeps_warnings_off_stderr_but_json_keeps_them()
    {
        var r = SockpeerCli.Run("list", "-q", "-p", S.Pid.ToString());
        Assert.Equal("", r.Stderr);
        var json = SockpeerCli.Run("list", "-q", "-j", "-p", S.Pid.ToString());
        Assert.Equal(JsonValueKind.Array, json.Json().GetProperty("warnings").ValueKind);
    }
}
