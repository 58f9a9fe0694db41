using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SockPeer.Inventory;

namespace SockPeer.Cli.Commands;

/// <summary>
/// A hidden role for bench/run.py: takes N snapshots with one reader in this process, as a watcher
/// or exporter would, and prints one JSON line with the first snapshot's time, the median of the
/// rest, the median time of each pass, and the resident set after snapshots 1, 100 (or N/2) and N.
/// It measures the engine in the published NativeAOT binary, the one users run.
/// </summary>
internal static class BenchRoles
{
    public const string Resnapshot = "__bench-resnapshot";

    public static Command Build()
    {
        var count = new Argument<int>("count") { Description = "snapshots to take (at least 2)" };
        var command = new Command(Resnapshot) { Hidden = true };
        command.Arguments.Add(count);
        command.SetAction(p => Run(Math.Max(2, p.GetValue(count)), p));
        return command;
    }

    private static int Run(int count, ParseResult parse)
    {
        long loading = Stopwatch.GetTimestamp();
        var options = Snapshot.ReaderOptions(parse, manySnapshots: true);
        options.Iterators?.WaitLoaded(out _); // the bpf collector's program, timed apart from the snapshots
        double loadMs = Stopwatch.GetElapsedTime(loading).TotalMilliseconds;
        var reader = new SocketInventoryReader(options);
        int middle = count >= 200 ? 100 : count / 2;
        var times = new double[count];
        var passes = new Dictionary<string, List<double>>();
        long rssFirst = 0, rssMiddle = 0, rssLast = 0;
        int sockets = 0;
        for (int i = 0; i < count; i++)
        {
            long started = Stopwatch.GetTimestamp();
            var inventory = reader.Read();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            sockets = inventory.Sockets.Count;
            if (i > 0)
            {
                foreach (var pass in inventory.Timings.Passes)
                {
                    if (!passes.TryGetValue(pass.Name, out var list))
                    {
                        passes[pass.Name] = list = [];
                    }
                    list.Add(pass.Elapsed.TotalMilliseconds);
                }
            }
            if (i == 0 || i == middle - 1 || i == count - 1)
            {
                long rss = ResidentBytes();
                if (i == 0)
                {
                    rssFirst = rss;
                }
                if (i == middle - 1)
                {
                    rssMiddle = rss;
                }
                if (i == count - 1)
                {
                    rssLast = rss;
                }
            }
        }
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"collector\":\"{(options.Iterators is null ? "procfs" : "bpf")}\",\"load_ms\":{loadMs:F2},\"snapshots\":{count},\"sockets\":{sockets},\"first_ms\":{times[0]:F2},\"steady_median_ms\":{Median(times.AsSpan(1)):F2},");
        json.Append(CultureInfo.InvariantCulture, $"\"rss_after_first_mib\":{Mib(rssFirst):F1},\"rss_middle_at\":{middle},\"rss_after_middle_mib\":{Mib(rssMiddle):F1},\"rss_after_last_mib\":{Mib(rssLast):F1},\"passes_median_ms\":{{");
        bool firstPass = true;
        foreach (var (name, list) in passes)
        {
            json.Append(CultureInfo.InvariantCulture, $"{(firstPass ? "" : ",")}\"{name}\":{Median([.. list]):F2}");
            firstPass = false;
        }
        json.Append("}}");
        Output.Text(1).WriteLine(json.ToString());
        return 0;
    }

    private static double Median(ReadOnlySpan<double> values)
    {
        double[] sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);

    /// <summary>VmRSS from /proc/self/status: what the kernel counts resident now.</summary>
    private static long ResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture, out long kib))
            {
                return kib * 1024;
            }
        }
        return 0;
    }
}
