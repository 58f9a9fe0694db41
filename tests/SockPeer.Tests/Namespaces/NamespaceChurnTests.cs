using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Namespaces;

/// <summary>Namespaces that appear and die while sockpeer scans.</summary>
public class NamespaceChurnTests(ITestOutputHelper output)
{
    /// <summary>A short-lived process with a connection on an abstract name in its namespace.</summary>
    private const string ShortLived = """
        import os, random, socket, sys, time
        name = b"\0sockpeer-churn-" + os.urandom(6).hex().encode()
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(name)
        srv.listen(8)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(name)
        acc, _ = srv.accept()
        p = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        p.connect(name)
        print("up", flush=True)
        time.sleep(random.uniform(0.0, 0.3))
        """;

    [SkippableFact]
    public void List_exits_0_with_valid_json_while_namespaces_come_and_go()
    {
        Ns.RequireRoot();
        using var stop = new CancellationTokenSource();
        var churnFailures = new ConcurrentQueue<string>();
        int cycles = 0;
        // When each namespace died (its name deleted after its processes exited), and when each run ran.
        var deaths = new ConcurrentQueue<long>();
        var windows = new ConcurrentQueue<(long Start, long End)>();
        var churn = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    OneCycle(deaths);
                    Interlocked.Increment(ref cycles);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    churnFailures.Enqueue(e.Message);
                    Thread.Sleep(50);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var results = new List<CliResult>();
        var clock = Stopwatch.StartNew();
        bool Overlapped() => deaths.Any(d => windows.Any(w => w.Start < d && d < w.End));
        CliResult Timed()
        {
            long start = Stopwatch.GetTimestamp();
            var r = SockpeerCli.Run("list", "--json");
            windows.Enqueue((start, Stopwatch.GetTimestamp()));
            return r;
        }
        try
        {
            // 20 runs, two at a time, spread over the churn: run i waits for i/2 namespaces to have come and gone.
            var first = new CliResult[20];
            Parallel.For(0, first.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                SpinWait.SpinUntil(() => Volatile.Read(ref cycles) >= i / 2 || churn.IsCompleted, TimeSpan.FromSeconds(60));
                first[i] = Timed();
            });
            results.AddRange(first);
            // The point is a namespace dying while a snapshot runs: keep going (bounded) until one did.
            for (int extra = 0; extra < 40 && !Overlapped() && !churn.IsCompleted; extra++)
            {
                results.Add(Timed());
            }
        }
        finally
        {
            stop.Cancel();
            churn.Wait(TimeSpan.FromSeconds(60));
        }
        output.WriteLine($"{results.Count} runs and {cycles} namespace cycles in {clock.Elapsed.TotalSeconds:F1} s; churn failures: {churnFailures.Count}");

        Assert.True(Overlapped(), $"no namespace died while a run was taking its snapshot ({cycles} cycles, {results.Count} runs): "
            + string.Join("; ", churnFailures));
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            Assert.True(r.ExitCode == 0, $"run {i} exited {r.ExitCode}: {r.Stderr}");
            Ns.NoStackTrace(r);
            JsonElement doc = r.Json();
            Assert.Equal(1, doc.GetProperty("schema").GetInt32());
            Assert.True(doc.GetProperty("sockets").GetArrayLength() > 0);
            foreach (var w in doc.GetProperty("warnings").EnumerateArray())
            {
                output.WriteLine($"run {i} warning: {w.GetString()}");
            }
            // A namespace that dies is still held by its fd; a /run/netns name caught half made or half
            // deleted is a plain file, no namespace: neither is a namespace that "could not be dumped".
            Assert.DoesNotContain(doc.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("could not be dumped", StringComparison.Ordinal));
        }
        // Schema validation takes long on a big document (a busy machine): check the smallest one.
        SchemaAssert.Valid(results.MinBy(r => r.Stdout.Length)!.Stdout, "list");
    }

    /// <summary>
    /// The deterministic half of "dies mid-scan": a namespace found by discovery whose last process
    /// leaves it and whose /run/netns name is deleted before it is dumped. The handle's fd (and a
    /// socket made there) keep it alive, so entering and dumping it still works, and the dump holds
    /// that socket: the records are checked, not the handle's own inode.
    /// </summary>
    [SkippableFact]
    public void A_discovered_namespace_can_still_be_dumped_after_it_died()
    {
        Ns.RequireRoot();
        var ns = new NamedNetNs();
        Scenario? scenario = null;
        List<NetNsHandle> handles = [];
        try
        {
            // The child makes a listener in the namespace, then goes back to the host's namespace with
            // it: afterwards no process is in the namespace and, once its name is deleted, only that
            // socket (and the handle) keep it alive. Its dump must still hold the listener.
            scenario = NsScripts.Start($$"""
                rep = spawn(["ip", "netns", "exec", "{{ns.Name}}"], r'''
                import ctypes
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(b"\0sockpeer-dying-" + os.urandom(6).hex().encode())
                s.listen(1)
                host = os.open(f"/proc/{os.getppid()}/ns/net", os.O_RDONLY)  # the test's scenario, in the host's namespace
                if ctypes.CDLL(None, use_errno=True).setns(host, 0x40000000) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
                report(listener=ino(s), left=netns())
                hold()
                ''')
                ready(**rep)
                hold()
                """);
            uint listener = scenario.Inode("listener");
            Assert.NotEqual(ns.Inode, scenario.Info.GetProperty("left").GetUInt64()); // the child is out of it
            handles = NetNsDiscovery.Discover();
            var handle = handles.Single(h => h.Inode == ns.Inode);

            ns.Dispose();
            Assert.False(File.Exists(ns.Path));

            using var channel = handle.OpenChannel();
            var dump = new DiagDump().Dump(channel, UnixDiagState.All, UnixDiagShow.Name | UnixDiagShow.Peer);
            Assert.Empty(dump.Warnings);
            Assert.Contains(dump.Records, r => r.Inode == listener);
        }
        finally
        {
            scenario?.Dispose();
            ns.Dispose();
            foreach (var h in handles)
            {
                h.Dispose();
            }
        }
    }

    private static void OneCycle(ConcurrentQueue<long> deaths)
    {
        string name = Ns.UniqueName("churn");
        var add = Ns.Run("ip", "netns", "add", name);
        if (add.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip netns add: {add.Stderr}");
        }
        var started = new List<Process>();
        try
        {
            started.Add(StartShortLived("ip", "netns", "exec", name));
            started.Add(StartShortLived("unshare", "--net"));
            foreach (var p in started)
            {
                if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    throw new TimeoutException("a short-lived namespace process hung");
                }
            }
        }
        finally
        {
            foreach (var p in started)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(TimeSpan.FromSeconds(5));
                    }
                }
                catch (InvalidOperationException)
                {
                }
                p.Dispose();
            }
            Ns.Run("ip", "netns", "delete", name);
            deaths.Enqueue(Stopwatch.GetTimestamp()); // its processes are gone: the name was its last hold
        }
    }

    private static Process StartShortLived(params string[] prefix)
    {
        var info = new ProcessStartInfo(prefix[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Skip(1).Append("python3").Append("-c").Append(ShortLived))
        {
            info.ArgumentList.Add(a);
        }
        var p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {prefix[0]}");
        p.StandardInput.Close();
        _ = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        return p;
    }
}
