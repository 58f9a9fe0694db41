using SockPeer.Inventory;
using SockPeer.Joining;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Joining;

/// <summary>In-flight inference with a scripted probe: scm_fds per holder, and which candidates are gone.</summary>
public class InFlightInferenceTests
{
    private sealed class Probe(Dictionary<int, int> scmFdsByPid, params uint[] gone) : IInFlightProbe
    {
        public int GoneCalls { get; private set; }

        public int? QueuedDescriptors(SocketHolder holder) => scmFdsByPid.TryGetValue(holder.Pid, out int n) ? n : null;

        public IReadOnlySet<uint> Gone(IReadOnlyList<UnixSocket> candidates)
        {
            GoneCalls++;
            return gone.Where(g => candidates.Any(c => c.Inode == g)).ToHashSet();
        }
    }

    private static UnixSocket Held(uint inode, int pid, uint recvQueue = 10) => new()
    {
        Inode = inode,
        Type = UnixSocketType.Stream,
        State = UnixSocketState.Connected,
        Role = SocketRole.Client,
        Peer = inode + 1,
        RecvQueue = recvQueue,
        Holders = [new SocketHolder(pid, 3)],
    };

    private static UnixSocket Orphan(uint inode, uint? peer = null) => new()
    {
        Inode = inode,
        Type = UnixSocketType.Stream,
        State = UnixSocketState.Connected,
        Role = peer is null ? SocketRole.Bound : SocketRole.Client,
        Peer = peer,
    };

    private static readonly HolderEvidence AllVisible = new(true, 0);

    [Fact]
    public void An_orphan_with_one_queue_holding_descriptors_is_in_flight_on_that_queue()
    {
        UnixSocket[] sockets = [Held(10, 100), Orphan(50)];

        var (result, warnings) = InFlightInference.Infer(sockets, AllVisible, new Probe(new() { [100] = 1 }));

        Assert.True(result[1].InFlight);
        Assert.Equal(10u, result[1].InFlightOn);
        Assert.False(sockets[1].InFlight); // the input is not edited
        Assert.Empty(warnings);
    }

    [Fact]
    public void Two_queues_holding_descriptors_make_the_queue_unknown()
    {
        var (result, warnings) = InFlightInference.Infer([Held(10, 100), Held(20, 200), Orphan(50)], AllVisible, new Probe(new() { [100] = 1, [200] = 1 }));

        Assert.True(result[2].InFlight);
        Assert.Null(result[2].InFlightOn);
        Assert.Equal(WarningCode.InFlightQueueUnknown, Assert.Single(warnings).Code);
    }

    [Fact]
    public void More_orphans_than_descriptors_in_flight_is_ambiguous_after_pruning()
    {
        // 50 and 51 are each other's peers and nobody holds either: pruned as a leaked pair. 60 is gone
        // by now. 61 and 62 remain for one descriptor: which one is in flight cannot be told.
        var probe = new Probe(new() { [100] = 1 }, 60);
        var (result, warnings) = InFlightInference.Infer([Held(10, 100), Orphan(50, 51), Orphan(51, 50), Orphan(60), Orphan(61), Orphan(62)], AllVisible, probe);

        Assert.All(result, s => Assert.False(s.InFlight));
        var w = Assert.Single(warnings);
        Assert.Equal(WarningCode.InFlightAmbiguous, w.Code);
        Assert.Equal(2, w.Count);
        Assert.Equal(1, probe.GoneCalls);
    }

    [Fact]
    public void Nothing_is_inferred_when_some_processes_could_not_be_seen()
    {
        var probe = new Probe(new() { [100] = 1 });
        UnixSocket[] sockets = [Held(10, 100), Orphan(50)];
        Assert.Same(sockets, InFlightInference.Infer(sockets, new HolderEvidence(false, 3), probe).Sockets);
    }

    [Fact]
    public void Root_denied_some_processes_infers_but_says_it_is_unverified()
    {
        var (result, warnings) = InFlightInference.Infer([Held(10, 100), Orphan(50)], new HolderEvidence(true, 2), new Probe(new() { [100] = 1 }));

        Assert.True(result[1].InFlight);
        Assert.Equal(WarningCode.InFlightUnverified, Assert.Single(warnings).Code);
    }

    [Fact]
    public void No_descriptor_in_flight_leaves_orphans_alone()
    {
        UnixSocket[] sockets = [Held(10, 100), Orphan(50)];
        Assert.Same(sockets, InFlightInference.Infer(sockets, AllVisible, new Probe([])).Sockets);
    }
}
