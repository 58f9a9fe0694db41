using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SockPeer.Tests.Cli;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Ebpf;

/// <summary>
/// `sockpeer serve --source ebpf` and `sockpeer watch --json --source ebpf` on one scripted workload:
/// both read the same matched connection facts, so serve's counters and watch's lines agree with
/// each other and with what the test's own processes did; and serve runs one ring buffer, one drain thread.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class EbpfAgreementTests
{
    private const int Connections = 40;

    /// <summary>argv[1] connections to argv[2] from a process named argv[3], each kept until the server's close (so each is accepted first).</summary>
    private const string Client = """
        import ctypes, os, socket, sys
        ctypes.CDLL(None).prctl(15, sys.argv[3].encode(), 0, 0, 0)
        print(os.getpid(), flush=True)
        for _ in range(int(sys.argv[1])):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[2])
            s.recv(1)
            s.close()
        """;

    [Fact]
    public async Task Serve_counters_and_watch_lines_count_the_workloads_connects_and_accepts_alike()
    {
        using var server = UnixKernelEventSourceTests.Server(); // accepts and closes each client at once
        string path = server.Socket("s").Path!;
        uint listener = server.Socket("s").Inode;
        using var serve = ServeProcess.Start(["--source", "ebpf", "--path", server.Dir + "/*"]);
        using var http = serve.Client();
        serve.WaitHealthy(http);
        using var watch = new WatchStream("--source", "ebpf", "--json", "--initial", "--path", server.Dir + "/*");
        watch.WaitFor("the listener's exists line", e => e.Is("exists", "socket", listener));

        // One ring buffer and one drain thread in serve, whatever consumes its events.
        Assert.Equal(1, Threads(serve.Pid, "sockpeer ebpf"));
        Assert.Equal(1, RingBuffers(serve.Pid));

        var run = ChildProcess.Run("python3", ["-c", Client, Connections.ToString(CultureInfo.InvariantCulture), path, "sp-agree"], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Stderr);
        int pid = int.Parse(run.Stdout.Trim(), CultureInfo.InvariantCulture);

        // watch: one connect line per connection the client made, one accept line per accept(2) the server made.
        int watchConnects = 0, watchAccepts = 0;
        void Read(string line)
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            if (e.Kind() is not ("connect" or "accept") || !e.TryGetProperty("listener", out var l) || l.GetProperty("inode").GetUInt32() != listener)
            {
                return;
            }
            bool connect = e.Kind() == "connect";
            Assert.Contains(e.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == (connect ? pid : server.Pid));
            watchConnects += connect ? 1 : 0;
            watchAccepts += connect ? 0 : 1;
        }
        var clock = Stopwatch.StartNew();
        while ((watchConnects < Connections || watchAccepts < Connections) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (watch.NextLine(TimeSpan.FromSeconds(1)) is { } line)
            {
                Read(line);
            }
        }

        // serve: the same, summed over the labels of the path.
        double connects = 0, accepts = 0;
        string text = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            text = await http.GetStringAsync("metrics");
            var samples = ServeScenarios.Parse(text);
            connects = Sum(samples, "sockpeer_unix_connects_total", path);
            accepts = Sum(samples, "sockpeer_unix_accepts_total", path);
            if (connects >= Connections && accepts >= Connections)
            {
                break;
            }
            await Task.Delay(100);
        }
        // Anything miscounted late (a second accept for one connection) is in by now.
        await Task.Delay(TimeSpan.FromSeconds(1));
        while (watch.NextLine(TimeSpan.FromMilliseconds(200)) is { } late)
        {
            Read(late);
        }
        text = await http.GetStringAsync("metrics");
        var final = ServeScenarios.Parse(text);
        connects = Sum(final, "sockpeer_unix_connects_total", path);
        accepts = Sum(final, "sockpeer_unix_accepts_total", path);

        string seen = $"serve {connects} connects/{accepts} accepts, watch {watchConnects}/{watchAccepts}, workload {Connections}/{Connections}\n{text}\nwatch:\n{string.Join('\n', watch.Seen)}";
        Assert.True(connects == Connections && accepts == Connections && watchConnects == Connections && watchAccepts == Connections, seen);
        Assert.Equal(0, ServeScenarios.Value(final, "sockpeer_ebpf_events_lost_total"));
        Assert.Equal(1, Threads(serve.Pid, "sockpeer ebpf"));
    }

    private static double Sum(List<ServeScenarios.Sample> samples, string name, string path)
        => samples.Where(s => s.Name == name && s.Labels.TryGetValue("path", out var p) && p == path).Sum(s => s.Value);

    /// <summary>Threads of <paramref name="pid"/> named <paramref name="comm"/>.</summary>
    internal static int Threads(int pid, string comm)
        => Directory.GetDirectories($"/proc/{pid}/task").Count(t => File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == comm);

    /// <summary>BPF ring buffer maps (map_type 27, BPF_MAP_TYPE_RINGBUF) among the descriptors of <paramref name="pid"/>.</summary>
    internal static int RingBuffers(int pid)
    {
        int n = 0;
        foreach (var fdinfo in Directory.GetFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                if (File.ReadAllLines(fdinfo).Contains("map_type:\t27"))
                {
                    n++;
                }
            }
            catch (IOException)
            {
                // a descriptor closed meanwhile
            }
        }
        return n;
    }
}
