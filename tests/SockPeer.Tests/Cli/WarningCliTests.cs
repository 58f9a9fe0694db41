using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Inventory;
using SockPeer.Tests.Namespaces;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Cli;

/// <summary>
/// The warnings that real conditions cause, made to happen for the published sockpeer and seen where
/// the user sees them: in <c>--json</c>'s "warnings" (the document valid per the schema) and, in the
/// human view, as "sockpeer: warning: ..." lines on stderr while the answer still goes to stdout with
/// exit 0. The conditions: a seccomp filter (no sock_diag, no setns), another user, fewer capabilities,
/// a fake or hidepid /proc in a private mount namespace, sockets in flight in a namespace of the test's own.
/// </summary>
[Collection(WarningCliCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WarningCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-warn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void RequireRoot()
    {
        Skip.IfNot(Ns.IsRoot, "needs root: the conditions are made with seccomp, setpriv, unshare and mounts");
    }

    // Where the warning does not depend on the sockets, "--type seqpacket" keeps the documents small on a
    // busy host: warnings are the snapshot's, not the filter's.

    /// <summary>Runs <c>prefix sockpeer args</c> twice, as JSON and as the human view, and checks both show the warning.</summary>
    private (CliResult Json, CliResult Human) AssertWarned(string[] prefix, string binary, string[] args, string fragment)
        => AssertWarned(prefix, binary, args, [fragment]);

    /// <summary>As above, where any one of <paramref name="fragments"/> is the warning wanted.</summary>
    private (CliResult Json, CliResult Human) AssertWarned(string[] prefix, string binary, string[] args, string[] fragments)
    {
        string fragment = string.Join("' or '", fragments);
        bool Wanted(string w) => fragments.Any(f => w.Contains(f, StringComparison.Ordinal));
        var json = Confined.Run([.. prefix, binary, .. args, "--json"], _dir);
        output.WriteLine($"--json: exit {json.ExitCode}; stderr: {json.Stderr}");
        // 1 is `list` saying its filters (kept narrow so the document stays small) matched nothing.
        Assert.True(json.ExitCode is 0 or 1, $"exit {json.ExitCode}: {json.Stderr}");
        Assert.True(json.Stderr.Length == 0, $"with --json, warnings belong in the document: {json.Stderr}");
        var warnings = json.Json().GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.True(warnings.Any(Wanted), $"no warning with '{fragment}' in: {string.Join(" | ", warnings)}");

        var human = Confined.Run([.. prefix, binary, .. args], _dir);
        output.WriteLine($"human: exit {human.ExitCode}; stderr: {human.Stderr}");
        // Not equal to the JSON run's status: the narrow filter may match a socket another test made in between.
        Assert.True(human.ExitCode is 0 or 1, $"exit {human.ExitCode}: {human.Stderr}");
        var lines = Ns.Lines(human.Stderr);
        Assert.All(lines, l => Assert.StartsWith("sockpeer: warning: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, Wanted);
        return (json, human);
    }

    private static SocketScene Listener() => SocketScene.Build().Listen("fallback").Start();

    [SkippableFact]
    [FiresWarning(WarningCode.ProcNetUnixFallback)]
    public void Without_sock_diag_the_human_view_lists_from_proc_net_unix_and_warns()
    {
        RequireRoot();
        using var scene = Listener();
        var fallback = scene.Socket("fallback");

        var (json, human) = AssertWarned(Confined.NoNetlink, SockpeerCli.Path, ["list", "--netns", "current"], "sockets come from /proc/net/unix");

        var doc = json.Json();
        Assert.False(doc.GetProperty("peersKnown").GetBoolean());
        var listener = doc.Socket(fallback.Inode);
        Assert.Equal("listening", listener.GetProperty("state").GetString());
        Assert.Equal(fallback.Path!, listener.GetProperty("name").GetString());
        Assert.Contains(fallback.Path!, human.Stdout, StringComparison.Ordinal);
        Assert.Contains("EPROTONOSUPPORT", human.Stderr, StringComparison.Ordinal);
    }

    // A /proc of the test's making over the real one, for this process tree only (the kernel's sock_diag stays real).
    private static string[] FakeProc(string dir) => Confined.InMountNamespace(
        $"mount -t tmpfs none /proc && mkdir -p /proc/thread-self && cp -r '{dir}/net' /proc/thread-self/net");

    [SkippableFact]
    [FiresWarning(WarningCode.ProcNetUnixMalformed)]
    public void Without_sock_diag_rows_of_proc_net_unix_that_do_not_parse_are_a_warning()
    {
        RequireRoot();
        string net = Directory.CreateDirectory(Path.Combine(_dir, "fake", "net")).FullName;
        File.WriteAllText(Path.Combine(net, "unix"), """
            Num       RefCount Protocol Flags    Type St Inode Path
            0000000000000000: 00000002 00000000 00010000 0001 01 4000000101 /run/fake/new
            line.sock

            """);

        var (json, human) = AssertWarned([.. FakeProc(Path.Combine(_dir, "fake")), .. Confined.NoNetlink], SockpeerCli.Path,
            ["list", "--netns", "current"], "1 lines of /proc/net/unix could not be parsed");

        Assert.Equal("/run/fake/new", json.Json().Socket(4000000101).GetProperty("name").GetString());
        Assert.Contains("/run/fake/new", human.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    [FiresWarning(WarningCode.CountMismatch)]
    public void Kernel_counting_far_more_sockets_than_the_dump_returned_is_a_warning()
    {
        RequireRoot();
        string net = Directory.CreateDirectory(Path.Combine(_dir, "fake", "net")).FullName;
        File.WriteAllText(Path.Combine(net, "protocols"), """
            protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re sp bi br ha uh gp em
            UNIX      1024 8900000      -1   NI       0   yes  kernel      y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n

            """);

        AssertWarned(FakeProc(Path.Combine(_dir, "fake")), SockpeerCli.Path, ["list", "--netns", "current", "--type", "seqpacket"], "sockets but the kernel counts about 8");
    }

    [SkippableFact]
    [FiresWarning(WarningCode.NamespaceNotDumped)]
    public void Namespace_that_cannot_be_entered_for_another_reason_than_permission_is_a_warning()
    {
        RequireRoot();
        using var ns = new NamedNetNs();

        AssertWarned(Confined.Deny("setns=EINVAL"), SockpeerCli.Path, ["list", "--netns", "all", "--type", "seqpacket"], $"network namespace {ns.Inode} (");
    }

    [SkippableFact]
    [FiresWarning(WarningCode.NamespacesNotEntered)]
    public void Root_without_cap_sys_admin_is_told_the_other_namespaces_could_not_be_entered()
    {
        RequireRoot();
        using var ns = new NamedNetNs();

        AssertWarned(Confined.Without("sys_admin"), SockpeerCli.Path, ["list", "--netns", "all", "--type", "seqpacket"], "other network namespace(s) could not be entered");
    }

    [SkippableFact]
    [FiresWarning(WarningCode.NamespacesNotFound)]
    [FiresWarning(WarningCode.ProcessesDenied)]
    public void Unprivileged_user_is_told_what_it_cannot_see()
    {
        RequireRoot();
        string binary = Confined.PublicBinary(_dir);

        // /run/netns hidden: other tests' named namespaces there would be found (and then not entered).
        // Either warning tells nobody what it cannot see: usually no other namespace can be found at all,
        // but while another test runs a process as nobody in a namespace of its own, that one is found
        // and cannot be entered.
        var (json, _) = AssertWarned([.. Confined.InMountNamespace("mount -t tmpfs none /run/netns"), .. Confined.Nobody], binary, ["list", "--netns", "all", "--type", "seqpacket"],
            ["other network namespaces could not be found or entered", "other network namespace(s) could not be entered (EPERM"]);

        Assert.Contains(json.Json().GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("processes could not be inspected (permission denied); sockets they hold are listed without those holders", StringComparison.Ordinal));
    }

    [SkippableFact]
    [FiresWarning(WarningCode.ProcessesHidden)]
    public void Unprivileged_user_of_a_hidepid_proc_is_told_other_users_processes_are_invisible()
    {
        RequireRoot();
        string binary = Confined.PublicBinary(_dir);

        AssertWarned([.. Confined.InMountNamespace("mount -t proc -o hidepid=2 proc /proc"), .. Confined.Nobody], binary,
            ["list", "--netns", "current", "--type", "seqpacket"], "procfs is mounted with hidepid=");
    }

    // Sockets in flight, made in a network namespace of the test's own so that no other socket on the
    // host is a candidate, then listed with --netns on that namespace. prefix runs the holder.
    private static string[] ListIn(SocketScene scene) => ["list", "--netns", $"/proc/{scene.Pid}/ns/net"];

    /// <summary>x.a in flight on q1's queue, y.a on q2's.</summary>
    private static SocketScene TwoQueues() => SocketScene.Build().InNewNetNs()
        .Pair("q1").Pair("q2").Pair("x").Pair("y")
        .SendInFlight("q1.a", "x.a")
        .SendInFlight("q2.a", "y.a")
        .Start();

    /// <summary>a.a in flight on b.a's queue, and b.a itself in flight on c.a's queue.</summary>
    private static SocketScene Nested() => SocketScene.Build().InNewNetNs()
        .Pair("a").Pair("b").Pair("c")
        .SendInFlight("b.b", "a.a")
        .SendInFlight("c.b", "b.a")
        .Start();

    /// <summary>x.a in flight on q's queue; the holder runs through <paramref name="prefix"/>.</summary>
    private static SocketScene OneQueue(string[] prefix) => SocketScene.Build().As(prefix).InNewNetNs()
        .Pair("q").Pair("x")
        .SendInFlight("q.a", "x.a")
        .Start();

    [SkippableFact]
    [FiresWarning(WarningCode.InFlightQueueUnknown)]
    public void Sockets_in_flight_on_two_queues_are_marked_with_a_warning_that_the_queue_is_unknown()
    {
        RequireRoot();
        using var scene = TwoQueues();
        string[] args = ListIn(scene);

        var (json, _) = AssertWarned([], SockpeerCli.Path, args, "2 socket(s) held by no process are in flight on one of 2 queues");

        var inFlight = json.Json().GetProperty("sockets").EnumerateArray().Where(s => s.GetProperty("inFlight").GetBoolean()).ToArray();
        Assert.Equal(2, inFlight.Length);
    }

    [SkippableFact]
    [FiresWarning(WarningCode.InFlightAmbiguous)]
    public void Socket_in_flight_inside_a_socket_in_flight_is_ambiguous_and_says_so()
    {
        RequireRoot();
        using var scene = Nested();
        string[] args = ListIn(scene);

        var (json, _) = AssertWarned([], SockpeerCli.Path, args, "2 socket(s) are held by no process while 1 descriptor(s) wait in flight on 1 queue(s)");

        Assert.DoesNotContain(json.Json().GetProperty("sockets").EnumerateArray(), s => s.GetProperty("inFlight").GetBoolean());
    }

    [SkippableFact]
    [FiresWarning(WarningCode.InFlightUnverified)]
    public void Root_denied_some_processes_says_sockets_taken_to_be_in_flight_are_unverified()
    {
        RequireRoot();
        // Root without CAP_SYS_PTRACE may not read the fds of processes with more capabilities than it
        // has: every other root process on the host. The holder runs with the same capabilities, so it is seen.
        using var scene = OneQueue(Confined.Without("sys_ptrace"));
        string[] args = ListIn(scene);

        var (json, _) = AssertWarned(Confined.Without("sys_ptrace"), SockpeerCli.Path, args, "1 socket(s) held by no visible process are taken to be in flight");

        var doc = json.Json();
        Assert.Contains(doc.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("(permission denied even to root)", StringComparison.Ordinal));
        Assert.Single(doc.GetProperty("sockets").EnumerateArray(), s => s.GetProperty("inFlight").GetBoolean());
    }
}

/// <summary>The CLI warning tests change credentials and mounts for their own children only; they run one after another, beside the other classes.</summary>
[CollectionDefinition(Name)]
public sealed class WarningCliCollection
{
    public const string Name = "WarningCli";
}
