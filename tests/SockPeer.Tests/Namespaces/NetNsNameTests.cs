using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Issue 23, point 6: a namespace the test names with `ip netns add` (a unique name, deleted after), a
/// host listener that accepts and keeps every client, a client of command `nsclient` inside that
/// namespace and a client of the same command on the host. What the test did is the ground truth: the
/// name shows in list (NETNS), peer, who and their JSON; who marks only the client from the named
/// namespace; `graph --group command` keeps the two clients' connections as two edges.
/// </summary>
public class NetNsNameTests
{
    private const string Command = "nsclient";

    private sealed class Scenes : IDisposable
    {
        public Scenes(NamedNetNs ns)
        {
            Server = SocketScene.Build().Listen("srv", backlog: 8).AcceptForever("srv", closeEach: false).Start();
            Inside = SocketScene.Build().As(["ip", "netns", "exec", ns.Name]).Named(Command).ConnectTo("client", Path).Start();
            Host = SocketScene.Build().Named(Command).ConnectTo("client", Path).Start();
        }

        public SocketScene Server { get; }

        public SocketScene Inside { get; }

        public SocketScene Host { get; }

        public string Path => Server.Socket("srv").Path!;

        public void Dispose()
        {
            Host.Dispose();
            Inside.Dispose();
            Server.Dispose();
        }
    }

    /// <summary>who's JSON once both clients are accepted (the server accepts in a thread).</summary>
    private static JsonElement WhoAccepted(Scenes scenes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var who = SockpeerCli.Who(scenes.Path);
            var clients = who.GetProperty("connections").EnumerateArray()
                .Select(c => c.GetProperty("client")).Where(c => c.ValueKind == JsonValueKind.Object)
                .Select(c => c.GetProperty("inode").GetUInt32()).ToHashSet();
            if ((clients.Contains(scenes.Inside.Inode("client")) && clients.Contains(scenes.Host.Inode("client"))) || DateTime.UtcNow > deadline)
            {
                return who;
            }
            Thread.Sleep(50);
        }
    }

    [SkippableFact]
    public void Who_marks_only_the_client_from_the_other_namespace()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = new Scenes(ns);
        Assert.Equal(ns.Inode, scenes.Inside.Socket("client").NetNs);
        Assert.NotEqual(ns.Inode, scenes.Host.Socket("client").NetNs);
        uint inside = scenes.Inside.Inode("client"), host = scenes.Host.Inode("client");

        // who, JSON: the connection from the named namespace is across, the host one is not.
        var who = WhoAccepted(scenes);
        SchemaAssert.Valid(who.GetRawText(), "who");
        var connections = who.GetProperty("connections").EnumerateArray().ToList();
        var fromInside = connections.Single(c => c.GetProperty("client").ValueKind == JsonValueKind.Object && c.GetProperty("client").GetProperty("inode").GetUInt32() == inside);
        var fromHost = connections.Single(c => c.GetProperty("client").ValueKind == JsonValueKind.Object && c.GetProperty("client").GetProperty("inode").GetUInt32() == host);
        Assert.True(fromInside.GetProperty("acrossNetns").GetBoolean());
        Assert.False(fromHost.GetProperty("acrossNetns").GetBoolean());

        // who, human: the mark is on the inside client's line only.
        var whoText = SockpeerCli.Run("who", scenes.Path);
        Assert.Equal(0, whoText.ExitCode);
        var lines = whoText.Stdout.Split('\n');
        Assert.Contains(lines, l => l.Contains($"[{scenes.Inside.Pid}]", StringComparison.Ordinal) && l.Contains("[from netns ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains($"[{scenes.Host.Pid}]", StringComparison.Ordinal) && l.Contains("[from netns", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void The_ip_netns_name_shows_in_list_peer_who_and_json()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = new Scenes(ns);
        uint inside = scenes.Inside.Inode("client"), host = scenes.Host.Inode("client");
        var who = WhoAccepted(scenes);
        var connections = who.GetProperty("connections").EnumerateArray().ToList();
        var fromInside = connections.Single(c => c.GetProperty("client").ValueKind == JsonValueKind.Object && c.GetProperty("client").GetProperty("inode").GetUInt32() == inside);
        var fromHost = connections.Single(c => c.GetProperty("client").ValueKind == JsonValueKind.Object && c.GetProperty("client").GetProperty("inode").GetUInt32() == host);
        Assert.Equal(ns.Name, fromInside.GetProperty("client").Str("netnsName"));
        Assert.Equal(JsonValueKind.Null, fromHost.GetProperty("client").GetProperty("netnsName").ValueKind);
        var insideProcess = who.GetProperty("processes").EnumerateArray().Single(p => p.GetProperty("pid").GetInt32() == scenes.Inside.Pid);
        Assert.Equal(ns.Name, insideProcess.Str("netnsName"));

        var whoText = SockpeerCli.Run("who", scenes.Path);
        Assert.Contains(whoText.Stdout.Split('\n'), l => l.Contains($"[{scenes.Inside.Pid}]", StringComparison.Ordinal) && l.Contains($"[from netns {ns.Name}]", StringComparison.Ordinal));

        // list: NETNS shows the name in place of the inode; JSON carries it beside the inode.
        var listText = SockpeerCli.Run("list", "--path", scenes.Path, "-o", "INODE,NETNS");
        Assert.Equal(0, listText.ExitCode);
        Assert.Contains(listText.Stdout.Split('\n'), l => l.TrimStart().StartsWith($"{inside} ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(ns.Name, StringComparison.Ordinal));
        var list = SockpeerCli.Json("list", "--path", scenes.Path);
        Assert.Equal(ns.Name, list.Socket(inside).Str("netnsName"));
        Assert.Equal(ns.Inode, list.Socket(inside).GetProperty("netns").GetUInt64());

        // peer: the inside client's line names its namespace.
        string pid = scenes.Inside.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string fd = scenes.Inside.Socket("client").Fd.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var peerText = SockpeerCli.Run("peer", pid, fd);
        Assert.Equal(0, peerText.ExitCode);
        Assert.Contains($"netns {ns.Inode} ({ns.Name})", peerText.Stdout, StringComparison.Ordinal);
        var peer = SockpeerCli.Json("peer", pid, fd);
        Assert.Equal(ns.Name, peer.GetProperty("socket").Str("netnsName"));
    }

    [SkippableFact]
    public void Graph_grouped_by_command_keeps_the_crossing_client_apart_from_the_host_one()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        using var scenes = new Scenes(ns);
        WhoAccepted(scenes);

        var graph = SockpeerCli.Json("graph", "--group", "command", "--format", "json", "--path", scenes.Path);
        var edges = graph.GetProperty("edges").EnumerateArray().Where(e => e.Str("from") == $"c/{Command}").ToList();
        // One connection each way, never one edge "×2 (across netns)".
        Assert.Equal(2, edges.Count);
        Assert.Single(edges, e => e.GetProperty("crossNetns").GetBoolean() && e.GetProperty("connections").GetInt32() == 1);
        Assert.Single(edges, e => !e.GetProperty("crossNetns").GetBoolean() && e.GetProperty("connections").GetInt32() == 1);

        // Per process, the inside client's node names its namespace.
        var byProcess = SockpeerCli.Json("graph", "--format", "json", "--path", scenes.Path);
        var node = byProcess.GetProperty("nodes").EnumerateArray().Single(n => n.Str("id") == $"p/{scenes.Inside.Pid}");
        Assert.Equal(ns.Name, node.Str("netnsName"));
    }
}
