using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using SockPeer.Inventory;
using SockPeer.Serve.Config;
using SockPeer.Serve.Connections;
using SockPeer.Serve.Filters;
using SockPeer.Serve.Http;
using SockPeer.Serve.Metrics;
using SockPeer.Serve.Snapshots;

namespace SockPeer.Serve;

/// <summary>
/// sockpeer-serve (run as `sockpeer serve`): Prometheus metrics, OTLP push and a JSON API over the
/// engine's snapshots, on Kestrel. Logs one line per start, bind failure and failed snapshot on stderr.
/// Exit codes as the command line's: 0 ok (SIGTERM/SIGINT included), 1 failure, 2 usage.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is [EventExport.OtlpEventsFromStdin.Argument, ..])
        {
            return EventExport.OtlpEventsFromStdin.Run(args.AsSpan(1));
        }
        var root = new RootCommand("sockpeer serve: Prometheus metrics, OTLP and a JSON API for every Unix socket on this host");
        foreach (var option in ServeOptions.All)
        {
            root.Options.Add(option);
        }
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            return Fail($"{parse.Errors[0].Message} (try 'sockpeer serve --help')", 2);
        }
        if (parse.Action is not null && parse.CommandResult.Command == root && args.Any(a => a is "--help" or "-h" or "-?" or "--version"))
        {
            return parse.Invoke();
        }
        ServeOptions options;
        WebConfig web;
        try
        {
            options = ServeOptions.From(parse);
            web = options.WebConfigFile is { } file ? WebConfig.Load(file) : new WebConfig();
        }
        catch (UsageException e)
        {
            return Fail(e.Message, 2);
        }
        catch (WebConfigException e)
        {
            return Fail(e.Message, 1);
        }
        try
        {
            return Run(options, web);
        }
        catch (Exception e) when (e is SnapshotFailedException or InventoryException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Fail(SnapshotSource.OneLine(e.Message), 1);
        }
    }

    private static int Run(ServeOptions options, WebConfig web)
    {
        // A kept reader: the bpf collector's program is loaded once, and each snapshot reads its iterators.
        using var iterators = SockPeer.Ebpf.CollectorSelection.Open(options.Collector, manySnapshots: true);
        var reader = new SocketInventoryReader(options.Inventory with { Iterators = iterators, IteratorsRequired = SockPeer.Ebpf.CollectorSelection.IsRequired(options.Collector) });
        var source = new SnapshotSource(reader.Read, inv => UnixSocketMeasurements.From(inv, options.Filter, options.MaxListeners), options.MinInterval, Log);
        using var instruments = new SockPeerInstruments(source);
        using var kernelEvents = options.Source == "poll" ? null : StartKernelEvents(options, source, instruments);
        using var recording = options.RecordFile is { } journal ? Journal.ServeRecording.Start(journal, options, kernelEvents, Log) : null;
        using var exposition = new PrometheusExposition(instruments.Meter);
        var endpoints = new Routes(source, exposition, options);
        Web.GraphPage.MapTo(endpoints, source, options.Filter);
        var auth = new BasicAuth(web.Users);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (web.Tls)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A slow or oversized client cannot hold the server: small requests, short timeouts, few connections.
            var limits = kestrel.Limits;
            limits.MaxConcurrentConnections = 256;
            limits.MaxConcurrentUpgradedConnections = 0;
            limits.MaxRequestBodySize = 0;
            limits.MaxRequestLineSize = 8 * 1024;
            limits.MaxRequestHeadersTotalSize = 16 * 1024;
            limits.MaxRequestHeaderCount = 64;
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            limits.MinResponseDataRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            limits.Http2.MaxStreamsPerConnection = 16;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (web.Certificate is { } cert)
                {
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = cert;
                        https.SslProtocols = web.MinTls == System.Security.Authentication.SslProtocols.Tls13
                            ? System.Security.Authentication.SslProtocols.Tls13
                            : System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                        https.HandshakeTimeout = TimeSpan.FromSeconds(10);
                    });
                }
            });
        });
        using var app = builder.Build();
        app.Run(context =>
        {
            if (auth.Enabled && !auth.IsAllowed(context))
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"sockpeer\", charset=\"UTF-8\"";
                return Routes.Plain(context, StatusCodes.Status401Unauthorized, "unauthorized");
            }
            return endpoints.Dispatch(context);
        });

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        string scheme = web.Tls ? "https" : "http";
        try
        {
            app.StartAsync(stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return Fail($"cannot listen on {Show(options.Listen)}: {BindError(e)}", 1);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }

        using var otlp = options.OtlpEndpoint is { } endpoint ? StartOtlp(options, endpoint) : null;
        Log($"sockpeer: serving {scheme}://{Show(options.Listen)}/metrics (min interval {options.MinInterval.TotalSeconds:0.###}s{(auth.Enabled ? ", basic auth" : "")}{(otlp is null ? "" : $", OTLP to {options.OtlpEndpoint} every {options.OtlpInterval.TotalSeconds:0.###}s")})");
        if (!IPAddress.IsLoopback(options.Listen.Address))
        {
            Log($"sockpeer: warning: listening on {Show(options.Listen)}, not loopback: process names, users and socket paths are visible to the network");
        }
        // The first snapshot in the background: /healthz turns ok when it succeeds, and a scrape right after start is quick.
        _ = source.GetAsync().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);

        stop.Token.WaitHandle.WaitOne();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));
        try
        {
            app.StopAsync(deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    /// <summary>
    /// The process's one eBPF tracker (one ring buffer, one drain thread), with the connection counters
    /// subscribed; null (logged) where it cannot run and `--source auto` allows it. Every other consumer
    /// of kernel events subscribes to the same tracker.
    /// </summary>
    private static Ebpf.UnixConnectionTracker? StartKernelEvents(ServeOptions options, SnapshotSource source, SockPeerInstruments instruments)
    {
        var tracker = Ebpf.UnixConnectionTracker.TryCreate(KernelRingBufferBytes, Ebpf.EbpfEventSource.KernelNamePrefix(options.Filter.Name), out string why);
        if (tracker is null)
        {
            if (options.Source == "ebpf")
            {
                throw new InvalidOperationException($"the eBPF event source cannot run here: {why}");
            }
            Log($"sockpeer: eBPF events unavailable ({why}): no sockpeer_unix_connects_total or sockpeer_unix_accepts_total");
            return null;
        }
        var counts = new ConnectionCounts(options.MaxListeners);
        _ = KernelConnectionFeed.Subscribe(tracker, source, options.Filter, counts, Log); // ends with the tracker
        instruments.AddConnectionCounters(counts, () => tracker.Lost);
        tracker.Start();
        return tracker;
    }

    private const uint KernelRingBufferBytes = 4 << 20;

    private static MeterProvider StartOtlp(ServeOptions options, Uri endpoint)
    {
        bool grpc = options.OtlpProtocol == "grpc";
        endpoint = SockPeer.Otlp.OtlpEndpoint.ForSignal(endpoint, grpc, "/v1/metrics");
        return Sdk.CreateMeterProviderBuilder()
            .AddMeter(SockPeerInstruments.MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpInterval.TotalMilliseconds;
            })
            .Build();
    }

    /// <summary>Kestrel wraps the socket error (IOException, then AddressInUseException): name the cause.</summary>
    private static string BindError(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException se)
            {
                return se.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "address already in use",
                    SocketError.AccessDenied => "permission denied",
                    SocketError.AddressNotAvailable => "address not available on this host",
                    _ => SnapshotSource.OneLine(se.Message),
                };
            }
        }
        return SnapshotSource.OneLine(e.Message);
    }

    private static string Show(IPEndPoint endpoint) => endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();

    private static readonly Lock LogGate = new();

    /// <summary>One line on stderr, written whole.</summary>
    internal static void Log(string line)
    {
        lock (LogGate)
        {
            try
            {
                using var stderr = Console.OpenStandardError();
                stderr.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            }
            catch (IOException)
            {
            }
        }
    }

    private static int Fail(string message, int code)
    {
        Log($"sockpeer: {message}");
        return code;
    }
}
