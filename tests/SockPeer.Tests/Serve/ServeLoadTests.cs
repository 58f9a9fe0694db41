using System.Diagnostics;
using System.Net;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>50 concurrent clients scrape for 30 s (a bounded loop): every response valid, snapshots shared, RSS flat.</summary>
public sealed class ServeLoadTests
{
    private const int Clients = 50;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FiftyClientsForThirtySeconds()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var serve = ServeProcess.Start(["--path", scenario.Dir + "/*"]);
        using var http = serve.Client(new SocketsHttpHandler { MaxConnectionsPerServer = Clients });
        serve.WaitHealthy(http);
        long snapshotsBefore = (long)ServeScenarios.Value(ServeScenarios.Parse((await http.GetStringAsync("metrics"))), "sockpeer_snapshots_total")!;

        var clock = Stopwatch.StartNew();
        long rssWarm = 0;
        int responses = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            bool openMetrics = i % 2 == 0;
            while (clock.Elapsed < Duration && failures.IsEmpty)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
                if (openMetrics)
                {
                    request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0");
                }
                using var response = await http.SendAsync(request);
                string body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{response.StatusCode}: {body}");
                    continue;
                }
                try
                {
                    var samples = ServeScenarios.Parse(body);
                    if (ServeScenarios.Value(samples, "sockpeer_unix_listener_pending", ("path", scenario.Socket("pending").Path!)) != 3
                        || (openMetrics && !body.EndsWith("# EOF\n", StringComparison.Ordinal)))
                    {
                        failures.Enqueue("wrong body: " + body[..Math.Min(body.Length, 2000)]);
                    }
                }
                catch (FormatException e)
                {
                    failures.Enqueue(e.Message);
                }
                Interlocked.Increment(ref responses);
                // RSS once warm (a third of the way), to compare with the end.
                if (clock.Elapsed > Duration / 3 && Interlocked.CompareExchange(ref rssWarm, -1, 0) == 0)
                {
                    Interlocked.Exchange(ref rssWarm, serve.RssBytes());
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(Duration + TimeSpan.FromSeconds(60));
        double seconds = clock.Elapsed.TotalSeconds;
        long rssEnd = serve.RssBytes();

        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(5)));
        Assert.True(responses > 200, $"only {responses} responses");
        var samplesAfter = ServeScenarios.Parse((await http.GetStringAsync("metrics")));
        long snapshots = (long)ServeScenarios.Value(samplesAfter, "sockpeer_snapshots_total")! - snapshotsBefore;
        // --min-interval 1s: at most one snapshot per second however many clients ask.
        Assert.True(snapshots <= seconds + 2, $"{snapshots} snapshots in {seconds:F1} s for {responses} responses");
        Assert.True(rssWarm > 0 && rssEnd - rssWarm < 10 << 20, $"RSS grew from {rssWarm >> 20} MiB (at {Duration.TotalSeconds / 3:F0} s) to {rssEnd >> 20} MiB over {responses} responses");
    }
}
