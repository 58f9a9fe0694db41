using SockPeer.Tests.Ebpf;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>
/// Issue 26's ground truth: tests/workload/unix_ground_truth.py --record runs the live-events workload
/// (separate processes that log their own listen, connect, accept and close with pids, fds, inodes and
/// times) under `sockpeer record --source ebpf`, then asks `sockpeer history` by path (every connection
/// once, in order, with the right ends, pids, fds and close kind, as watch is checked), by pid, by user,
/// and in a time window (every connect of the window once, none from outside it, closes with the
/// durations the workload measured).
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class JournalGroundTruthTests
{
    [Fact]
    public void History_of_a_recorded_workload_agrees_with_the_workloads_own_log()
    {
        string script = Path.Combine(SockpeerCli.RepoRoot, "tests", "workload", "unix_ground_truth.py");
        var r = ChildProcess.Run("python3", [script, "run", "--sockpeer", SockpeerCli.Path, "--source", "ebpf", "--record", "--connections", "150"], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("history (ebpf)", r.Stdout);
    }
}
