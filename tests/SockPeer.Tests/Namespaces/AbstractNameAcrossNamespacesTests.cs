using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// Abstract names are per network namespace: the same name bound in the host and in a new
/// namespace are two listeners, and each accepted socket belongs to the listener of its own namespace.
/// </summary>
public class AbstractNameAcrossNamespacesTests
{
    /// <summary>The same abstract name, each with a connection: bound in the host's namespace and in one of its own.</summary>
    private sealed class SameAbstractNameTwice : IDisposable
    {
        private readonly string _name = Ns.UniqueName("test");

        public SameAbstractNameTwice()
        {
            Host = Connection(SocketScene.Build());
            Other = Connection(SocketScene.Build().InNewNetNs());
        }

        public SocketScene Host { get; }

        public SocketScene Other { get; }

        /// <summary>The name as sockpeer shows it.</summary>
        public string Shown => "@" + _name;

        private SocketScene Connection(SocketSceneBuilder scene)
            => scene.Listen("same", backlog: 8, abstractName: System.Text.Encoding.ASCII.GetBytes(_name)).Connect("same", accept: 1).Start();

        public void Dispose()
        {
            Other.Dispose();
            Host.Dispose();
        }
    }

    [SkippableFact]
    public void Library_keeps_each_accepted_socket_with_the_listener_of_its_namespace()
    {
        Ns.RequireRoot();
        using var scenes = new SameAbstractNameTwice();
        ulong hostNs = scenes.Host.Socket("same").NetNs;
        ulong otherNs = scenes.Other.Socket("same").NetNs;
        Assert.NotEqual(hostNs, otherNs);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        foreach (var (scene, netns) in new[] { (scenes.Host, hostNs), (scenes.Other, otherNs) })
        {
            var listener = inventory.Find(scene.Inode("same"))!;
            var accepted = inventory.Find(scene.Inode("same.accepted0"))!;
            var client = inventory.Find(scene.Inode("same.client0"))!;
            Assert.NotNull(listener);
            Assert.NotNull(accepted);
            Assert.NotNull(client);
            Assert.Equal(scenes.Shown, listener.Name);
            Assert.Equal(scenes.Shown, accepted.Name);
            Assert.True(listener.IsAbstract);
            Assert.Equal(UnixSocketState.Listening, listener.State);
            Assert.Equal(listener.Inode, accepted.Listener);
            Assert.Equal(client.Inode, accepted.Peer);
            Assert.Equal(accepted.Inode, client.Peer);
            Assert.Equal(netns, listener.NetNs);
            Assert.Equal(netns, accepted.NetNs);
            Assert.Equal(netns, client.NetNs);
        }
    }

    [SkippableFact]
    public void Cli_json_keeps_each_accepted_socket_with_the_listener_of_its_namespace()
    {
        Ns.RequireRoot();
        using var scenes = new SameAbstractNameTwice();

        var list = SockpeerCli.Json("list");

        foreach (var scene in new[] { scenes.Host, scenes.Other })
        {
            var accepted = list.Socket(scene.Inode("same.accepted0"));
            Assert.Equal(scene.Inode("same"), accepted.NullableUInt("listener"));
            Assert.Equal(scene.Inode("same.client0"), accepted.NullableUInt("peer"));
            Assert.Equal(scene.Socket("same").NetNs, accepted.GetProperty("netns").GetUInt64());
            Assert.Equal(scenes.Shown, list.Socket(scene.Inode("same")).GetProperty("name").GetString());
        }

        // peer from the namespaced client lands on its own namespace's listener, not the host's.
        var peer = SockpeerCli.Json("peer", scenes.Other.Inode("same.client0").ToString());
        Assert.Equal(scenes.Other.Inode("same.accepted0"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenes.Other.Inode("same"), peer.GetProperty("listener").GetProperty("inode").GetUInt32());
    }
}
