using System.Diagnostics.CodeAnalysis;

namespace SockPeer.Otlp;

/// <summary>
/// The one rule for an OTLP collector's address, for serve's metrics and record's logs alike: an
/// absolute http:// or https:// URL, and, as OTEL_EXPORTER_OTLP_ENDPOINT does, a base URL gets the
/// signal's path under http/protobuf (gRPC takes the address as it is).
/// </summary>
public static class OtlpEndpoint
{
    /// <summary>The protocols an endpoint is spoken in: <c>http/protobuf</c> (the default) and <c>grpc</c>.</summary>
    public static IReadOnlyList<string> Protocols { get; } = ["http/protobuf", "grpc"];

    /// <summary>Whether <paramref name="text"/> is a collector address: an absolute http:// or https:// URL.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Uri? endpoint)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out endpoint) && endpoint.Scheme is "http" or "https")
        {
            return true;
        }
        endpoint = null;
        return false;
    }

    /// <summary>The URL a signal's requests go to: <paramref name="signalPath"/> (<c>/v1/metrics</c>, <c>/v1/logs</c>) after a base URL, for http/protobuf.</summary>
    public static Uri ForSignal(Uri endpoint, bool grpc, string signalPath)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return !grpc && endpoint.AbsolutePath is "/" or "" ? new Uri(endpoint, signalPath) : endpoint;
    }
}
