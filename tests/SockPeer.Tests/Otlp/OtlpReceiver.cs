using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Otlp;

/// <summary>
/// A test OpenTelemetry receiver on loopback: accepts OTLP/HTTP protobuf POSTs to /v1/logs and
/// /v1/metrics, decodes them with the vendored opentelemetry-proto messages (ExportLogsServiceRequest,
/// ExportMetricsServiceRequest) and keeps them. Anything else (another path, method or content type,
/// a body that does not decode) is answered 400/404 and kept in <see cref="Rejected"/> for the test to see.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ExportLogsServiceRequest> _logs = [];
    private readonly List<ExportMetricsServiceRequest> _metrics = [];
    private readonly List<string> _rejected = [];
    private readonly Task _loop;

    private OtlpReceiver(int port)
    {
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    /// <summary>A receiver on a free loopback port.</summary>
    public static OtlpReceiver Start() => new(ServeProcess.FreePort());

    public int Port { get; }

    /// <summary>The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>The status to answer an export with: 200, or an error to make the exporter fail.</summary>
    public HttpStatusCode Answer { get; set; } = HttpStatusCode.OK;

    public IReadOnlyList<ExportLogsServiceRequest> Logs { get { lock (_logs) { return [.. _logs]; } } }

    public IReadOnlyList<ExportMetricsServiceRequest> Metrics { get { lock (_metrics) { return [.. _metrics]; } } }

    public IReadOnlyList<string> Rejected { get { lock (_rejected) { return [.. _rejected]; } } }

    /// <summary>Every log record received so far, with its resource's and scope's attributes.</summary>
    public IReadOnlyList<ReceivedLog> LogRecords => [.. from request in Logs
                                                       from rl in request.ResourceLogs
                                                       from sl in rl.ScopeLogs
                                                       from r in sl.LogRecords
                                                       select new ReceivedLog(r, Attributes(rl.Resource.Attributes), sl.Scope?.Name ?? "")];

    /// <summary>An OTLP value as a plain one: string, long, double, bool, an array of those, or null.</summary>
    public static object? Plain(AnyValue? v) => v?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => v.StringValue,
        AnyValue.ValueOneofCase.IntValue => v.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => v.DoubleValue,
        AnyValue.ValueOneofCase.BoolValue => v.BoolValue,
        AnyValue.ValueOneofCase.ArrayValue => v.ArrayValue.Values.Select(Plain).ToArray(),
        AnyValue.ValueOneofCase.KvlistValue => Attributes(v.KvlistValue.Values),
        AnyValue.ValueOneofCase.BytesValue => v.BytesValue.ToByteArray(),
        _ => null,
    };

    public static Dictionary<string, object?> Attributes(IEnumerable<KeyValue> attributes)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in attributes)
        {
            Assert.False(map.ContainsKey(kv.Key), $"attribute {kv.Key} twice");
            map[kv.Key] = Plain(kv.Value);
        }
        return map;
    }

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
            {
                Reject(context, 400, $"{context.Request.Url?.AbsolutePath}: {e.Message}");
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        string path = request.Url!.AbsolutePath;
        if (request.HttpMethod != "POST" || request.ContentType != "application/x-protobuf")
        {
            Reject(context, 400, $"{request.HttpMethod} {path} {request.ContentType}");
            return;
        }
        using var body = new MemoryStream();
        var input = request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(request.InputStream, CompressionMode.Decompress) : request.InputStream;
        input.CopyTo(body);
        IMessage response;
        switch (path)
        {
            case "/v1/logs":
                var logs = ExportLogsServiceRequest.Parser.ParseFrom(body.ToArray());
                lock (_logs)
                {
                    _logs.Add(logs);
                }
                response = new ExportLogsServiceResponse();
                break;
            case "/v1/metrics":
                var metrics = ExportMetricsServiceRequest.Parser.ParseFrom(body.ToArray());
                lock (_metrics)
                {
                    _metrics.Add(metrics);
                }
                response = new ExportMetricsServiceResponse();
                break;
            default:
                Reject(context, 404, $"POST {path}");
                return;
        }
        context.Response.StatusCode = (int)Answer;
        context.Response.ContentType = "application/x-protobuf";
        if (Answer == HttpStatusCode.OK)
        {
            response.WriteTo(context.Response.OutputStream);
        }
        context.Response.Close();
    }

    private void Reject(HttpListenerContext context, int status, string what)
    {
        lock (_rejected)
        {
            _rejected.Add(what);
        }
        context.Response.StatusCode = status;
        context.Response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        try
        {
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed HttpListener binds its port again to find the endpoint it removes; when another
            // test took the port in between, that bind fails: the listener is stopped all the same.
        }
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

/// <summary>One received log record with its resource's attributes and its scope's name.</summary>
public sealed record ReceivedLog(OpenTelemetry.Proto.Logs.V1.LogRecord Record, IReadOnlyDictionary<string, object?> Resource, string Scope)
{
    public Dictionary<string, object?> Attributes { get; } = OtlpReceiver.Attributes(Record.Attributes);

    public string Body => Record.Body?.StringValue ?? "";

    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks((long)(Record.TimeUnixNano / 100));
}
