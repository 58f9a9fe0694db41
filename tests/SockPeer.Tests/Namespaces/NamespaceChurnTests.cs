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
        var churn = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    OneCycle();
                    Interlocked.Increment(ref cycles);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    churnFailures.Enqueue(e.Message);
                    Thread.Sleep(50);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var results = new CliResult[20];
        var clock = Stopwatch.StartNew();
        try
        {
            // 20 runs, two at a time, spread over the churn: run i waits for i/2 namespaces to have come and gone.
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                SpinWait.SpinUntil(() => Volatile.Read(ref cycles) >= i / 2 || churn.IsCompleted, TimeSpan.FromSeconds(60));
                results[i] = SockpeerCli.Run("list", "--json");
            });
        }
        finally
        {
            stop.Cancel();
            churn.Wait(TimeSpan.FromSeconds(60));
        }
        output.WriteLine($"20 runs and {cycles} namespace cycles in {clock.Elapsed.TotalSeconds:F1} s; churn failures: {churnFailures.Count}");

        Assert.True(cycles > 0, "no namespace was created and deleted: " + string.Join("; ", churnFailures));
        for (int i = 0; i < results.Length; i++)
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
    /// The deterministic half of "dies mid-scan": a namespace found by discovery whose processes
    /// exit and whose /run/netns name is deleted before it is dumped. The fd kept by the handle keeps
    /// it alive, so entering and dumping it still works and nothing throws.
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
            scenario = NsScripts.Start($$"""
                rep = spawn(["ip", "netns", "exec", "{{ns.Name}}"], r'''
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(b"\0sockpeer-dying-" + os.urandom(6).hex().encode())
                s.listen(1)
                report(listener=ino(s))
                hold()
                ''')
                ready(**rep)
                hold()
                """);
            handles = NetNsDiscovery.Discover();
            var handle = handles.Single(h => h.Inode == ns.Inode);

            scenario.Dispose();
            scenario = null;
            ns.Dispose();
            Assert.False(File.Exists(ns.Path));

            using var channel = handle.OpenChannel();
            var dump = new DiagDump().Dump(channel, UnixDiagState.All, UnixDiagShow.Name | UnixDiagShow.Peer);
            Assert.Empty(dump.Warnings);
            Assert.Equal(ns.Inode, handle.Inode);
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

    private static void OneCycle()
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
