using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>
/// The bpf collector's program loads on another thread while the first snapshot's dumps run, so a
/// load the kernel refuses is known only inside the snapshot: <c>auto</c> then walks /proc and says
/// so, <c>bpf</c> fails with the reason. A real scene (a listener, an accepted client held by a
/// child process) is read through iterators whose load failed; the scene's own processes are the
/// ground truth for the holders.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CollectorLoadTests : IDisposable
{
    private const string Refusal = "the kernel refused the BPF collector program: Invalid argument";
    private readonly SocketScene _scene = SocketScene.Build()
        .Named("cload")
        .Listen("srv", backlog: 4)
        .Connect("srv", 1, Holder.Child, accept: 1)
        .Start();

    public void Dispose() => _scene.Dispose();

    [Fact]
    public void A_program_refused_after_the_snapshot_started_gives_the_proc_walks_answer_when_the_collector_was_not_named()
    {
        var iterators = new RefusedIterators();
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, Iterators = iterators }).Read();

        Assert.True(iterators.Waited, "the reader asked whether the program loaded");
        Assert.Equal(0, iterators.Opened);
        Assert.Equal(SnapshotCollector.Procfs, inventory.Collector);
        var client = _scene.Socket("srv.client0");
        var socket = inventory.Find(client.Inode);
        Assert.NotNull(socket);
        Assert.Contains(client.Holder, socket.Holders);
        Assert.Equal(_scene.Inode("srv"), inventory.Find(socket.Peer!.Value)?.Listener);
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code == WarningCode.HoldersUnknown);
    }

    [Fact]
    public void A_program_refused_after_the_snapshot_started_fails_it_with_the_reason_when_bpf_was_named()
    {
        var reader = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current, Iterators = new RefusedIterators(), IteratorsRequired = true });

        var e = Assert.Throws<InventoryException>(() => reader.Read());
        Assert.Equal($"the bpf collector cannot run here: {Refusal}", e.Message);
    }

    /// <summary>Iterators whose program the kernel refused, as <c>SnapshotIterators</c> reports it once its load thread ends.</summary>
    private sealed class RefusedIterators : ISnapshotIterators
    {
        public bool Waited { get; private set; }

        public int Opened { get; private set; }

        public bool WaitLoaded(out string why)
        {
            Waited = true;
            why = Refusal;
            return false;
        }

        public int OpenFileDescriptors()
        {
            Opened++;
            return -2;
        }
    }
}
