using System.Diagnostics.Metrics;
using SockPeer.Serve.Metrics;

namespace SockPeer.Serve.Connections;

/// <summary>
/// Connects and accepts counted since start by (path, server, client): the totals behind
/// sockpeer_unix_connects_total and sockpeer_unix_accepts_total. Counters keep every series they
/// ever had (Prometheus expects that of a counter), so the label sets are capped: past
/// <c>maxPaths</c> paths the rest fold into path="(other)", and past ten series a path the client
/// folds into client="(other)".
/// </summary>
internal sealed class ConnectionCounts(int maxPaths)
{
    private const int ClientsPerPath = 10;
    private static readonly string[] Labels = ["path", "server", "client"];

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Path, string Server, string Client), (long Connects, long Accepts)> _counts = [];
    private readonly Dictionary<string, int> _seriesPerPath = new(StringComparer.Ordinal);

    /// <summary>A connect(2) that reached a listener at <paramref name="path"/>.</summary>
    public void Connect(string path, string server, string client) => Add(path, server, client, connects: 1, accepts: 0);

    /// <summary>An accept(2) on a listener at <paramref name="path"/>.</summary>
    public void Accept(string path, string server, string client) => Add(path, server, client, connects: 0, accepts: 1);

    private void Add(string path, string server, string client, long connects, long accepts)
    {
        lock (_gate)
        {
            var key = (path, server, client);
            if (!_counts.ContainsKey(key))
            {
                if (!_seriesPerPath.ContainsKey(path) && _seriesPerPath.Count >= maxPaths)
                {
                    key = (path = UnixSocketMeasurements.OtherPath, "", "");
                }
                else if (_seriesPerPath.GetValueOrDefault(path) >= ClientsPerPath)
                {
                    key = (path, server, "(other)");
                }
                if (!_counts.ContainsKey(key))
                {
                    _seriesPerPath[path] = _seriesPerPath.GetValueOrDefault(path) + 1;
                }
            }
            var (c, a) = _counts.GetValueOrDefault(key);
            _counts[key] = (c + connects, a + accepts);
        }
    }

    public Measurement<long>[] Connects() => Read(accepts: false);

    public Measurement<long>[] Accepts() => Read(accepts: true);

    private Measurement<long>[] Read(bool accepts)
    {
        lock (_gate)
        {
            var result = new List<Measurement<long>>(_counts.Count);
            foreach (var ((path, server, client), (c, a)) in _counts.OrderBy(p => p.Key.Path, StringComparer.Ordinal).ThenBy(p => p.Key.Server, StringComparer.Ordinal).ThenBy(p => p.Key.Client, StringComparer.Ordinal))
            {
                long value = accepts ? a : c;
                // A series appears with its first event of the kind, then stays.
                if (value > 0)
                {
                    result.Add(new Measurement<long>(value, new(Labels[0], path), new(Labels[1], server), new(Labels[2], client)));
                }
            }
            return [.. result];
        }
    }
}
