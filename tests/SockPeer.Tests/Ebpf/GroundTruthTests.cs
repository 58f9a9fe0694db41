using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Ebpf;

/// <summary>
/// Issue 22's ground truth: tests/workload/unix_ground_truth.py runs a scripted AF_UNIX workload in
/// separate processes (listeners started and stopped while watching, servers that accept at once,
/// late or never, a forking and a pre-forked server, clients in another network namespace, a socket
/// passed with SCM_RIGHTS, connections of 1 ms to ~1 s closed from either side) that logs every listen,
/// connect, accept and close from inside its processes, runs the published `sockpeer watch --json`
/// (and with eBPF `sockpeer serve`) around it, and compares line by line with its own log. The same
/// script runs by hand with thousands of connections (see its header).
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class GroundTruthTests
{
    private static string Script => Path.Combine(SockpeerCli.RepoRoot, "tests", "workload", "unix_ground_truth.py");

    private static void Run(params string[] args)
    {
        var r = ChildProcess.Run("python3", [Script, "run", "--sockpeer", SockpeerCli.Path, .. args], TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
    }

    /// <summary>
    /// eBPF, with and without --path: every connect, accept and close once, in order, with the right
    /// ends, pids, fds, inodes, path and close kind; serve's connects_total/accepts_total per path equal the log's.
    /// </summary>
    [Fact]
    public void Ebpf_watch_and_serve_agree_with_the_workloads_own_log()
        => Run("--source", "ebpf", "--connections", "300");

    /// <summary>Polling at 100 ms: whatever lived over two intervals is announced once and closed once; nothing closes unannounced.</summary>
    [Fact]
    public void Polling_announces_and_closes_every_connection_that_lived_over_two_intervals()
        => Run("--source", "poll", "--interval-ms", "100", "--connections", "300");
}
