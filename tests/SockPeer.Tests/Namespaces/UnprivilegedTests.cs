using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Run as nobody, sockpeer cannot enter (or even see) other network namespaces: it covers its own
/// and says so exactly once.
/// </summary>
public sealed class UnprivilegedTests : IDisposable
{
    private const int Nobody = 65534;
    private readonly string _dir;
    private readonly string _binary;

    private const string HostConnection = """
        path = os.path.join(sys.argv[1], "host.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        acc, _ = srv.accept()
        ready(listener=ino(srv), client=ino(c), accepted=ino(acc), host_netns=netns_of(os.getpid()))
        hold()
        """;

    /// <summary>The same, plus a root process alone in a namespace that has no /run/netns name.</summary>
    private const string HostConnectionAndHiddenNamespace = """
        path = os.path.join(sys.argv[1], "host.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        acc, _ = srv.accept()
        rep = spawn(["unshare", "--net"], r'''
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(b"\0sockpeer-hidden-" + os.urandom(6).hex().encode())
        s.listen(1)
        report(listener=ino(s))
        hold()
        ''')
        ready(listener=ino(srv), client=ino(c), accepted=ino(acc), host_netns=netns_of(os.getpid()),
              hidden_listener=rep["listener"], hidden_netns=rep["netns"])
        hold()
        """;

    public UnprivilegedTests()
    {
        // The published binary may sit under /root; nobody needs a copy it can reach and execute.
        _dir = Directory.CreateTempSubdirectory("sockpeer-nobody-").FullName;
        _binary = Path.Combine(_dir, "sockpeer");
        if (Ns.IsRoot && OperatingSystem.IsLinux())
        {
            File.Copy(SockpeerCli.Path, _binary);
            File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(_binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Require()
    {
        Skip.IfNot(Ns.IsRoot, "needs root to create namespaces and to drop to nobody with setpriv");
        Skip.IfNot(Ns.Tool("setpriv"), "needs setpriv (util-linux)");
        Ns.RequireRoot();
    }

    private CliResult AsNobody(params string[] args)
        => Ns.Run("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", _binary, .. args]);

    private static string[] NamespaceWarnings(JsonElement doc)
        => doc.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).Where(w => w.Contains("network namespace", StringComparison.Ordinal)).ToArray();

    private static void AssertOwnNamespaceCovered(JsonElement doc, Scenario scenario)
    {
        ulong host = scenario.Info.GetProperty("host_netns").GetUInt64();
        // sock_diag needs no privilege: the caller's own namespace is complete, peers included.
        var accepted = doc.Socket(scenario.Inode("accepted"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.All(doc.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(host, s.GetProperty("netns").GetUInt64()));
    }

    [SkippableFact]
    public void Named_namespace_it_cannot_enter_gets_exactly_one_warning()
    {
        Require();
        using var ns = new NamedNetNs();
        using var scenario = NsScripts.Start(HostConnection);

        var result = AsNobody("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Ns.NoStackTrace(result);
        SchemaAssert.Valid(result.Stdout, "list");
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scenario);
        string warning = Assert.Single(NamespaceWarnings(doc));
        Assert.Contains("could not be entered", warning);

        var human = AsNobody("list");
        Assert.Equal(0, human.ExitCode);
        Ns.NoStackTrace(human);
        Assert.Single(Ns.Lines(human.Stderr), l => l.Contains("network namespace", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Namespace_only_a_root_process_knows_still_gets_exactly_one_warning()
    {
        Require();
        using var scenario = NsScripts.Start(HostConnectionAndHiddenNamespace);

        var result = AsNobody("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Ns.NoStackTrace(result);
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scenario);
        Assert.DoesNotContain(scenario.Inode("hidden_listener"), doc.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()));
        string warning = Assert.Single(NamespaceWarnings(doc));
        Assert.Contains("entered", warning);

        var human = AsNobody("list");
        Assert.Equal(0, human.ExitCode);
        Assert.Single(Ns.Lines(human.Stderr), l => l.Contains("network namespace", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Current_scope_as_nobody_has_no_namespace_warning()
    {
        Require();
        using var ns = new NamedNetNs();
        using var scenario = NsScripts.Start(HostConnection);

        var result = AsNobody("list", "--json", "--netns", "current");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scenario);
        Assert.Empty(NamespaceWarnings(doc));
    }

    [SkippableFact]
    public void Peer_as_nobody_works_in_its_own_namespace()
    {
        Require();
        using var ns = new NamedNetNs();
        using var scenario = NsScripts.Start(HostConnection);

        var result = AsNobody("peer", scenario.Inode("client").ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var doc = result.Json();
        Assert.Equal(scenario.Inode("accepted"), doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Single(NamespaceWarnings(doc));
    }
}
