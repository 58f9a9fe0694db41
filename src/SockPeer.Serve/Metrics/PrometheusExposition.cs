using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using SockPeer.Serve.Snapshots;

namespace SockPeer.Serve.Metrics;

/// <summary>
/// Writes the meter's instruments in the Prometheus text exposition format (0.0.4) or OpenMetrics
/// 1.0, read through a <see cref="MeterListener"/>.
/// Why not OpenTelemetry.Exporter.Prometheus.AspNetCore: it is a beta, and its observable gauges keep
/// exporting the last value of a label set that a callback no longer reports
/// (open-telemetry/opentelemetry-dotnet#3508), so a listener that went away would stay a series
/// forever; here each scrape shows exactly the snapshot's series. The rendered bytes are kept per
/// snapshot and format, so concurrent scrapes of one snapshot render it once.
/// </summary>
internal sealed class PrometheusExposition : IDisposable
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _instruments = [];
    private readonly Lock _render = new();
    private List<Sample>? _samples;
    private (long Generation, bool OpenMetrics, byte[] Body)? _cached;

    private readonly record struct Sample(Instrument Instrument, string Value, KeyValuePair<string, object?>[] Tags);

    public PrometheusExposition(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                lock (_instruments)
                {
                    _instruments.Add(instrument);
                }
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _samples?.Add(new(i, v.ToString(CultureInfo.InvariantCulture), tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _samples?.Add(new(i, FormatDouble(v), tags.ToArray())));
        _listener.Start();
    }

    /// <summary>Whether the Accept header prefers OpenMetrics to the text format (Prometheus asks for it first).</summary>
    public static bool WantsOpenMetrics(string? accept)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return false;
        }
        double openMetrics = -1, text = -1;
        foreach (var part in accept.Split(','))
        {
            var fields = part.Split(';', StringSplitOptions.TrimEntries);
            double q = 1;
            foreach (var f in fields.AsSpan(1))
            {
                if (f.StartsWith("q=", StringComparison.Ordinal) && double.TryParse(f.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
                {
                    q = parsed;
                }
            }
            if (fields[0].Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase))
            {
                openMetrics = Math.Max(openMetrics, q);
            }
            else if (fields[0].Equals("text/plain", StringComparison.OrdinalIgnoreCase) || fields[0] == "*/*")
            {
                text = Math.Max(text, q);
            }
        }
        return openMetrics > 0 && openMetrics >= text;
    }

    /// <summary>The exposition of <paramref name="snapshot"/>'s measurements.</summary>
    public byte[] Render(Snapshot snapshot, bool openMetrics)
    {
        lock (_render)
        {
            if (_cached is { } c && c.Generation == snapshot.Generation && c.OpenMetrics == openMetrics)
            {
                return c.Body;
            }
            _samples = [];
            SockPeerInstruments.Collecting(snapshot, _listener.RecordObservableInstruments);
            var samples = _samples;
            _samples = null;
            var body = Encoding.UTF8.GetBytes(Write(samples, openMetrics));
            _cached = (snapshot.Generation, openMetrics, body);
            return body;
        }
    }

    private string Write(List<Sample> samples, bool openMetrics)
    {
        Instrument[] instruments;
        lock (_instruments)
        {
            instruments = [.. _instruments];
        }
        var sb = new StringBuilder(64 * 1024);
        foreach (var instrument in instruments)
        {
            bool counter = instrument is ObservableCounter<long> or ObservableCounter<double>;
            string family = instrument.Name;
            string sampleName = counter ? family + "_total" : family;
            string help = Escape(instrument.Description ?? "", label: false);
            string type = counter ? "counter" : "gauge";
            if (openMetrics)
            {
                sb.Append("# TYPE ").Append(family).Append(' ').Append(type).Append('\n');
                sb.Append("# HELP ").Append(family).Append(' ').Append(help).Append('\n');
            }
            else
            {
                sb.Append("# HELP ").Append(sampleName).Append(' ').Append(help).Append('\n');
                sb.Append("# TYPE ").Append(sampleName).Append(' ').Append(type).Append('\n');
            }
            foreach (var s in samples)
            {
                if (!ReferenceEquals(s.Instrument, instrument))
                {
                    continue;
                }
                sb.Append(sampleName);
                if (s.Tags.Length > 0)
                {
                    sb.Append('{');
                    for (int i = 0; i < s.Tags.Length; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(',');
                        }
                        sb.Append(s.Tags[i].Key).Append("=\"").Append(Escape(s.Tags[i].Value as string ?? "", label: true)).Append('"');
                    }
                    sb.Append('}');
                }
                sb.Append(' ').Append(s.Value).Append('\n');
            }
        }
        if (openMetrics)
        {
            sb.Append("# EOF\n");
        }
        return sb.ToString();
    }

    private static string FormatDouble(double v) => double.IsNaN(v) ? "NaN"
        : double.IsPositiveInfinity(v) ? "+Inf"
        : double.IsNegativeInfinity(v) ? "-Inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Backslash and newline always; the double quote inside label values.</summary>
    internal static string Escape(string text, bool label)
    {
        if (text.AsSpan().IndexOfAny(label ? "\\\n\"" : "\\\n") < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (char ch in text)
        {
            _ = ch switch
            {
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '"' when label => sb.Append("\\\""),
                _ => sb.Append(ch),
            };
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();
}
