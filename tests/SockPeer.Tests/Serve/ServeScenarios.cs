using System.Globalization;
using System.Text.RegularExpressions;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Serve;

/// <summary>Socket scenarios with known metric values, and a reader of the text exposition.</summary>
public static partial class ServeScenarios
{
    /// <summary>
    /// In its work directory: pending.sock, a listener (backlog 16) with three clients never accepted;
    /// served.sock, a listener whose server (comm sp-server) accepted one client from each of two
    /// programs (comms sp-client-a and sp-client-b, forked processes that keep only their client).
    /// </summary>
    public static SocketScene PendingAndServed() => SocketScene.Build()
        .Named("sp-server")
        .Listen("pending", backlog: 16)
        .Connect("pending", clients: 3)
        .Listen("served", backlog: 16)
        .Connect("served", heldBy: Holder.Child, comm: "sp-client-a")
        .Connect("served", heldBy: Holder.Child, comm: "sp-client-b")
        .Accept("served", 2)
        .Start();


    /// <summary>One sample of the text exposition.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>The samples of a text exposition (comments skipped); label values unescaped.</summary>
    public static List<Sample> Parse(string exposition)
    {
        var samples = new List<Sample>();
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var m = SampleLine().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"not a sample line: {line}");
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups["k"].Value] = Regex.Unescape(l.Groups["v"].Value);
            }
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> with these labels (others ignored), or null.</summary>
    public static double? Value(IEnumerable<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        var found = samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return found.Count switch
        {
            0 => null,
            1 => found[0].Value,
            _ => throw new InvalidOperationException($"{found.Count} samples of {name} match"),
        };
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<k>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
