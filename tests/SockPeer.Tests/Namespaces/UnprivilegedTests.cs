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

    private static SocketScene HostConnection() => SocketScene.Build()
        .Listen("host", backlog: 8)
        .Connect("host", accept: 1)
        .Start();

    /// <summary>The same, plus a root process alone in a namespace that has no /run/netns name.</summary>
    /// <summary>A listener in a network namespace of its own that only its (root) process knows of.</summary>
    private static SocketScene HiddenNamespace() => SocketScene.Build()
        .InNewNetNs()
        .Listen("hidden", backlog: 1, abstractName: System.Text.Encoding.ASCII.GetBytes(Ns.UniqueName("hidden")))
        .Start();

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

    private static void AssertOwnNamespaceCovered(JsonElement doc, SocketScene scene)
    {
        ulong host = scene.Socket("host").NetNs;
        // sock_diag needs no privilege: the caller's own namespace is complete, peers included.
        var accepted = doc.Socket(scene.Inode("host.accepted0"));
        Assert.Equal(scene.Inode("host.client0"), accepted.NullableUInt("peer"));
        Assert.Equal(scene.Inode("host"), accepted.NullableUInt("listener"));
        Assert.All(doc.GetProperty("sockets").EnumerateArray(), s => Assert.Equal(host, s.GetProperty("netns").GetUInt64()));
    }

    [SkippableFact]
    public void Named_namespace_it_cannot_enter_gets_exactly_one_warning()
    {
        Require();
        using var ns = new NamedNetNs();
        using var scene = HostConnection();

        var result = AsNobody("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Ns.NoStackTrace(result);
        SchemaAssert.Valid(result.Stdout, "list");
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scene);
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
        using var scene = HostConnection();
        using var hidden = HiddenNamespace();

        var result = AsNobody("list", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Ns.NoStackTrace(result);
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scene);
        Assert.DoesNotContain(hidden.Inode("hidden"), doc.GetProperty("sockets").EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()));
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
        using var scene = HostConnection();

        var result = AsNobody("list", "--json", "--netns", "current");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var doc = result.Json();
        AssertOwnNamespaceCovered(doc, scene);
        Assert.Empty(NamespaceWarnings(doc));
    }

    [SkippableFact]
    public void Peer_as_nobody_works_in_its_own_namespace()
    {
        Require();
        using var ns = new NamedNetNs();
        using var scene = HostConnection();

        var result = AsNobody("peer", scene.Inode("host.client0").ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var doc = result.Json();
        Assert.Equal(scene.Inode("host.accepted0"), doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Single(NamespaceWarnings(doc));
    }
}
