using System.Diagnostics;
using SockPeer.Serve.Connections;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Ebpf;

/// <summary>
/// `sockpeer serve --source ebpf`: sockpeer_unix_connects_total and sockpeer_unix_accepts_total count
/// connections that no scrape ever sees, by path, server and client command.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class ServeConnectionCounterTests
{
    /// <summary>argv[1] connections to argv[2], each closed at once, from a process named argv[3].</summary>
    private const string Client = """
        import ctypes, socket, sys
        ctypes.CDLL(None).prctl(15, sys.argv[3].encode(), 0, 0, 0)
        for _ in range(int(sys.argv[1])):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[2])
            s.close()
        """;

    [Fact]
    public async Task Every_connect_and_accept_is_counted_by_path_server_and_client_however_short_lived()
    {
        // Listeners (python3) that accept and close each client at once.
        using var counted = UnixKernelEventSourceTests.Server();
        using var elsewhere = UnixKernelEventSourceTests.Server();
        string path = counted.Socket("s").Path!;
        using var serve = ServeProcess.Start(["--source", "ebpf", "--path", Path.GetDirectoryName(path) + "/*"]);
        using var http = serve.Client();
        serve.WaitHealthy(http); // the first snapshot knows the listener, so connects name its server

        foreach (var (target, count) in new[] { (path, 25), (elsewhere.Socket("s").Path!, 5) })
        {
            var run = ChildProcess.Run("python3", ["-c", Client, count.ToString(System.Globalization.CultureInfo.InvariantCulture), target, "sp-counter"], TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode == 0, run.Stderr);
        }

        (string, string)[] labels = [("path", path), ("server", "python3"), ("client", "sp-counter")];
        List<ServeScenarios.Sample> samples = [];
        string text = "";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            text = await http.GetStringAsync("metrics");
            samples = ServeScenarios.Parse(text);
            if (ServeScenarios.Value(samples, "sockpeer_unix_connects_total", labels) == 25 && ServeScenarios.Value(samples, "sockpeer_unix_accepts_total", labels) == 25)
            {
                break;
            }
            await Task.Delay(100);
        }
        Assert.True(ServeScenarios.Value(samples, "sockpeer_unix_connects_total", labels) == 25, text);
        Assert.True(ServeScenarios.Value(samples, "sockpeer_unix_accepts_total", labels) == 25, text);
        Assert.Equal(0, ServeScenarios.Value(samples, "sockpeer_ebpf_events_lost_total"));
        // --path applies: the other directory's listener is not counted.
        Assert.DoesNotContain(samples, s => s.Labels.TryGetValue("path", out var p) && p == elsewhere.Socket("s").Path!);
        Assert.Contains("# TYPE sockpeer_unix_connects_total counter", text, StringComparison.Ordinal);
        string file = Path.Combine(Path.GetTempPath(), $"sockpeer-metrics-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, text);
        try
        {
            var check = ChildProcess.Run("sh", ["-c", "promtool check metrics < \"$0\"", file], TimeSpan.FromMinutes(1));
            Assert.True(check.ExitCode == 0, $"promtool check metrics: {check.Stdout}{check.Stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Without_the_capabilities_ebpf_is_one_line_and_exit_1_and_auto_serves_without_the_counters()
    {
        string[] drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-bpf,-perfmon,-sys_admin", "--"];
        var ebpf = ChildProcess.Run(drop[0], [.. drop[1..], ServeProcess.ServeBinary, "--listen", $"127.0.0.1:{ServeProcess.FreePort()}", "--source", "ebpf"], TimeSpan.FromMinutes(1));
        Assert.Equal(1, ebpf.ExitCode);
        Assert.StartsWith("sockpeer: the eBPF event source cannot run here: ", ebpf.Stderr, StringComparison.Ordinal);
        Assert.Single(ebpf.Stderr.TrimEnd('\n').Split('\n'));

        using var auto = ServeProcess.Start(["--source", "auto"], runUnder: drop);
        using var http = auto.Client();
        string text = await http.GetStringAsync("metrics");
        Assert.DoesNotContain("sockpeer_unix_connects_total", text, StringComparison.Ordinal);
        Assert.Contains(auto.Stderr, l => l.StartsWith("sockpeer: eBPF events unavailable (", StringComparison.Ordinal));
    }

    [Fact]
    public void Counter_series_are_capped_paths_fold_into_other_and_clients_past_ten_a_path_too()
    {
        var counts = new ConnectionCounts(maxPaths: 2);
        counts.Connect("/a", "srv", "c");
        counts.Connect("/a", "srv", "c");
        counts.Accept("/b", "srv", "c");
        counts.Connect("/c", "srv", "c"); // a third path
        for (int i = 0; i < 12; i++)
        {
            counts.Connect("/a", "srv", $"client{i:00}");
        }
        var connects = counts.Connects().Select(m => (Path: (string)m.Tags[0].Value!, Client: (string)m.Tags[2].Value!, m.Value)).ToList();
        Assert.Contains(("/a", "c", 2L), connects);
        Assert.Contains(("(other)", "", 1L), connects);
        Assert.Equal(11, connects.Count(c => c.Path == "/a")); // c and client00..client08, then (other) for the rest
        Assert.Contains(("/a", "(other)", 3L), connects);
        Assert.Equal(["/b"], counts.Accepts().Select(m => (string)m.Tags[0].Value!));
    }
}
