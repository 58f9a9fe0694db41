using System.Diagnostics;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;
using SockPeer.Tests.Otlp;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>
/// --otlp-endpoint: serve pushes its measurements over OTLP/HTTP (protobuf) to a test receiver on
/// loopback, which decodes each request (the vendored opentelemetry-proto messages); the metrics'
/// names, attributes and values are compared with what the scenario's own processes made.
/// </summary>
public sealed class OtlpTests
{
    [Fact]
    public void The_pushed_metrics_carry_the_scenarios_listeners_and_connections()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        using var receiver = OtlpReceiver.Start();
        using var serve = ServeProcess.Start(["--path", scenario.Dir + "/*", "--otlp-endpoint", receiver.BaseUrl.ToString(), "--otlp-interval", "1s"]);
        Assert.Contains($"OTLP to {receiver.BaseUrl}", serve.Stderr[0], StringComparison.Ordinal);

        // Ground truth: what the scenario's processes did (its log), not what sockpeer says.
        string pending = scenario.Socket("pending").Path!;
        string served = scenario.Socket("served").Path!;
        int waiting = scenario.Pending("pending").Length;
        int accepted = scenario.Connections("served").Count(c => c.Accepted is not null);
        Assert.Equal((3, 2), (waiting, accepted)); // the scenario is what its summary says

        var request = WaitFor(receiver, r => Points(r, "sockpeer_unix_listener_pending").Any(p => Attr(p, "path") == pending));
        Assert.Empty(receiver.Rejected);

        // Every metric once per request, in the meter the instruments are made on.
        var metrics = request.ResourceMetrics.SelectMany(rm => rm.ScopeMetrics).Where(sm => sm.Scope.Name == "SockPeer").SelectMany(sm => sm.Metrics).ToList();
        Assert.Equal(metrics.Count, metrics.Select(m => m.Name).Distinct().Count());
        // Observable counters arrive as monotonic sums, the rest as gauges.
        Assert.All(metrics, m => Assert.Equal(m.Name is "sockpeer_snapshots" or "sockpeer_snapshot_failures" ? Metric.DataOneofCase.Sum : Metric.DataOneofCase.Gauge, m.DataCase));
        Assert.True(metrics.Single(m => m.Name == "sockpeer_snapshots").Sum.IsMonotonic);

        var listenerPending = Assert.Single(Points(request, "sockpeer_unix_listener_pending"), p => Attr(p, "path") == pending);
        Assert.Equal(waiting, Value(listenerPending));
        Assert.Equal(("sp-server", "stream", ""), (Attr(listenerPending, "process"), Attr(listenerPending, "type"), Attr(listenerPending, "container")));
        Assert.Equal(0, Value(Assert.Single(Points(request, "sockpeer_unix_listener_pending"), p => Attr(p, "path") == served)));
        Assert.Equal(16, Value(Assert.Single(Points(request, "sockpeer_unix_listener_backlog"), p => Attr(p, "path") == pending)));
        Assert.Equal(16, Value(Assert.Single(Points(request, "sockpeer_unix_listener_backlog"), p => Attr(p, "path") == served)));
        Assert.Equal(accepted, Value(Assert.Single(Points(request, "sockpeer_unix_listener_connections"), p => Attr(p, "path") == served)));
        Assert.Equal(0, Value(Assert.Single(Points(request, "sockpeer_unix_listener_connections"), p => Attr(p, "path") == pending)));

        // One connection from each client program to the served socket, by the program that serves it.
        var connections = Points(request, "sockpeer_unix_connections").Where(p => Attr(p, "path") == served).ToList();
        Assert.Equal(new[] { "sp-client-a", "sp-client-b" }, connections.Select(p => Attr(p, "client") ?? "").Order());
        Assert.All(connections, p => Assert.Equal(("sp-server", 1.0), (Attr(p, "server"), Value(p))));
        Assert.Equal(new[] { "client", "path", "server" }, connections[0].Attributes.Select(a => a.Key).Order());

        var build = Assert.Single(Points(request, "sockpeer_build_info"));
        Assert.Equal(1, Value(build));
        Assert.Matches(@"^\d+\.\d+\.\d+", Attr(build, "version"));
        Assert.True(Value(Assert.Single(Points(request, "sockpeer_snapshots"))) >= 1);
    }

    private static ExportMetricsServiceRequest WaitFor(OtlpReceiver receiver, Func<ExportMetricsServiceRequest, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (receiver.Metrics.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            Thread.Sleep(100);
        }
        Assert.Fail($"no OTLP export with the scenario's listener arrived within 60 s ({receiver.Metrics.Count} requests; rejected: {string.Join("; ", receiver.Rejected)})");
        return null!;
    }

    /// <summary>The data points of the metric named <paramref name="name"/> (gauge or sum) in one request.</summary>
    private static IEnumerable<NumberDataPoint> Points(ExportMetricsServiceRequest request, string name)
        => from rm in request.ResourceMetrics
           from sm in rm.ScopeMetrics
           from m in sm.Metrics
           where m.Name == name
           from p in m.DataCase == Metric.DataOneofCase.Sum ? m.Sum.DataPoints : m.Gauge.DataPoints
           select p;

    private static string? Attr(NumberDataPoint p, string key) => p.Attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue;

    private static double Value(NumberDataPoint p) => p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble;
}
