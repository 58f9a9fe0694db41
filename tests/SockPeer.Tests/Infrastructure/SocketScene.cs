using System.Text.Json;
using SockPeer.Model;

namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// The socket scenarios the tests share, declared step by step instead of written out in python each
/// time. Every scenario exists in <see cref="SocketScene.Build"/>'s list of steps:
/// <list type="bullet">
/// <item><see cref="SocketSceneBuilder.Listen"/>: a listener on a file in the scene's directory or an abstract name, with a backlog.</item>
/// <item><see cref="SocketSceneBuilder.Bind"/>: a bound socket that does not listen (a datagram server).</item>
/// <item><see cref="SocketSceneBuilder.Unbound"/>: a socket neither bound nor connected.</item>
/// <item><see cref="SocketSceneBuilder.Connect"/>: N clients of a listener or datagram server, held by the scene's
/// process, by one forked child, by a child each, or by a child in a network namespace of its own; the
/// first ones accepted or all left pending. <see cref="SocketSceneBuilder.ConnectTo"/>: a client of another scene's listener.</item>
/// <item><see cref="SocketSceneBuilder.Accept"/>: accept the oldest pending clients; <see cref="SocketSceneBuilder.AcceptForever"/>: a thread accepts every client that comes.</item>
/// <item><see cref="SocketSceneBuilder.Pair"/>: a socketpair, both ends here or the second end moved to a forked child.</item>
/// <item><see cref="SocketSceneBuilder.SendInFlight"/>: a socket sent with SCM_RIGHTS that nobody receives (in flight).</item>
/// <item><see cref="SocketSceneBuilder.ShareWithChild"/>: a forked child keeps a copy of one socket (two holders).</item>
/// <item><see cref="SocketSceneBuilder.Unlink"/>, <see cref="SocketSceneBuilder.Close"/>: remove a socket file, close one socket.</item>
/// <item><see cref="SocketSceneBuilder.Named"/>: the scene's command name (comm), as a test that reads process names wants it.</item>
/// <item><see cref="SocketSceneBuilder.As"/>, <see cref="SocketSceneBuilder.InNewNetNs"/>: the whole scene as another user, or in a network namespace of its own.</item>
/// <item><see cref="SocketSceneBuilder.Then"/>: python for what only one test needs; it reports through EXTRA.</item>
/// </list>
/// The steps run in order in one python process (see <see cref="Scenario"/>); forked children keep only
/// the sockets they hold. Each step's sockets come back as <see cref="SceneSocket"/>s (pid, fd, inode,
/// network namespace). Dispose ends the process and every child it forked.
/// </summary>
public sealed class SocketScene : IDisposable
{
    private readonly Dictionary<string, JsonElement> _entries;

    private SocketScene(Scenario scenario)
    {
        Scenario = scenario;
        _entries = scenario.Info.GetProperty("scene").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
    }

    /// <summary>An empty list of steps.</summary>
    public static SocketSceneBuilder Build() => new();

    internal static SocketScene Start(string script, string[] prefix) => new(Scenario.StartAs(prefix, script));

    /// <summary>The python process underneath; its ready line also holds what <c>Then</c> steps put in EXTRA.</summary>
    public Scenario Scenario { get; }

    /// <summary>The scene's own process (which holds the listeners).</summary>
    public int Pid => Scenario.Pid;

    /// <summary>The scene's private directory, where socket files go.</summary>
    public string Dir => Scenario.WorkDir;

    /// <summary>
    /// A socket by the names <see cref="SocketSceneBuilder.Close"/> takes: "NAME" (declared by Listen, Bind,
    /// Unbound or ShareWithChild), "NAME.a" and "NAME.b" (a pair's ends), "NAME.clientN" and
    /// "NAME.acceptedN" (connection N of NAME, from 0).
    /// </summary>
    public SceneSocket Socket(string name)
    {
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return Read(Entry(name));
        }
        string owner = name[..dot], part = name[(dot + 1)..];
        return part switch
        {
            "a" => Pair(owner).A,
            "b" => Pair(owner).B,
            _ when part.StartsWith("client", StringComparison.Ordinal) => Connections(owner)[int.Parse(part[6..])].Client,
            _ when part.StartsWith("accepted", StringComparison.Ordinal) => Connections(owner)[int.Parse(part[8..])].Accepted
                ?? throw new InvalidOperationException($"{name} was never accepted"),
            _ => throw new KeyNotFoundException($"no socket {name} in the scene"),
        };
    }

    /// <summary>The inode of <see cref="Socket"/>(<paramref name="name"/>).</summary>
    public uint Inode(string name) => Socket(name).Inode;

    /// <summary>The clients of a listener or bound socket, in the order they connected.</summary>
    public IReadOnlyList<SceneConnection> Connections(string name)
        => [.. Entry(name).GetProperty("connections").EnumerateArray().Select(c => new SceneConnection(
            Read(c.GetProperty("client")),
            c.GetProperty("accepted").ValueKind == JsonValueKind.Null ? null : Read(c.GetProperty("accepted"))))];

    /// <summary>The one client of <paramref name="name"/>, which must have exactly one.</summary>
    public SceneConnection Connection(string name) => Connections(name) is [var only]
        ? only
        : throw new InvalidOperationException($"{name} has {Connections(name).Count} connections, not one");

    /// <summary>The clients of <paramref name="name"/> nobody accepted.</summary>
    public SceneSocket[] Pending(string name) => [.. Connections(name).Where(c => c.Accepted is null).Select(c => c.Client)];

    /// <summary>The two ends of a socketpair.</summary>
    public (SceneSocket A, SceneSocket B) Pair(string name) => (Read(Entry(name).GetProperty("a")), Read(Entry(name).GetProperty("b")));

    private JsonElement Entry(string name)
        => _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"the scene has no step named {name}");

    private static SceneSocket Read(JsonElement e) => new(
        e.GetProperty("pid").GetInt32(),
        e.GetProperty("fd").GetInt32(),
        e.GetProperty("inode").GetUInt32(),
        e.GetProperty("netns").GetUInt64(),
        e.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null);

    public void Dispose() => Scenario.Dispose();
}

/// <summary>One socket of a scene: who holds it (pid, fd), its inode and network namespace, and its file if bound to one.</summary>
public sealed record SceneSocket(int Pid, int Fd, uint Inode, ulong NetNs, string? Path = null)
{
    public SocketHolder Holder => new(Pid, Fd);
}

/// <summary>A client and, once accepted, the server's end of the connection.</summary>
public sealed record SceneConnection(SceneSocket Client, SceneSocket? Accepted);

/// <summary>Which process holds the clients made by one <see cref="SocketSceneBuilder.Connect"/> step.</summary>
public enum Holder
{
    /// <summary>The scene's own process, which also holds the listener.</summary>
    Self,

    /// <summary>One forked child holds all of them (and nothing else of the scene).</summary>
    Child,

    /// <summary>A forked child for each client.</summary>
    ChildEach,

    /// <summary>One forked child that first moved into a network namespace of its own (needs root).</summary>
    ChildInNewNetNs,
}

/// <summary>The kind of a scene's socket.</summary>
public enum SceneType
{
    Stream,
    Datagram,
    SeqPacket,
}
