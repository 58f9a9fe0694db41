using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Endpoints;

/// <summary>
/// For every pipe and loopback TCP connection that `lsof +E` reports for the population's processes,
/// sockpeer names the same holders at the other end. lsof lists, for each fd, the holders of the
/// pipe (`pipe PID,CMD,FDw ...`) and of a TCP socket's peer (`A->B PID,CMD,FDu`).
/// </summary>
public class EndpointLsofDifferentialTests(EndpointScenario population) : IClassFixture<EndpointScenario>
{
    private sealed record LsofRow(int Pid, int Fd, string Type, string Protocol, string Name, HashSet<(int, int)> Other);

    [SkippableFact]
    public void Pipes_and_loopback_tcp_have_the_holders_lsof_names()
    {
        Skip.IfNot(File.Exists("/usr/bin/lsof") || File.Exists("/bin/lsof"), "lsof is not installed (.ci/run installs it)");
        var s = population.Scenario;
        var pids = new List<int> { s.Pid };
        foreach (var p in s.Info.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("pid", out var pid))
            {
                pids.Add(pid.GetInt32());
            }
        }
        var lsof = ChildProcess.Run("lsof", ["+E", "-nP", "-F", "pftPn", "-a", "-p", string.Join(',', pids)], TimeSpan.FromSeconds(120));
        Assert.True(lsof.Stdout.Length > 0, $"lsof gave nothing: {lsof.Stderr}");
        var rows = Parse(lsof.Stdout).Where(r => pids.Contains(r.Pid)).ToList();
        var pipes = rows.Where(r => r.Type == "FIFO" && r.Name.StartsWith("pipe", StringComparison.Ordinal)).ToList();
        var tcp = rows.Where(r => r.Type is "IPv4" or "IPv6" && r.Protocol == "TCP" && r.Name.Contains("->", StringComparison.Ordinal) && r.Other.Count > 0).ToList();
        Assert.True(pipes.Count >= 6, $"lsof showed only {pipes.Count} pipe fds of the population");
        Assert.True(tcp.Count >= 4, $"lsof showed only {tcp.Count} local TCP fds of the population");

        var list = SockpeerCli.Run("list", "--kind", "pipe,tcp", "--json");
        Assert.Equal(0, list.ExitCode);
        SchemaAssert.Valid(list.Stdout, "list");
        // (pid, fd) -> holders of the other end(s), as sockpeer joined them
        var other = new Dictionary<(int, int), HashSet<(int, int)>>();
        foreach (var c in list.Json().GetProperty("endpoints").EnumerateArray())
        {
            var ends = c.GetProperty("ends").EnumerateArray().ToArray();
            for (int i = 0; i < ends.Length; i++)
            {
                // lsof +E names every other holder of a pipe (readers and writers); for TCP, the peer socket's holders.
                var opposite = c.GetProperty("kind").GetString() == "pipe"
                    ? ends.SelectMany(Holders).ToHashSet()
                    : ends.Length == 2 ? Holders(ends[1 - i]) : [];
                foreach (var h in Holders(ends[i]))
                {
                    if (!other.TryGetValue(h, out var set))
                    {
                        other[h] = set = [];
                    }
                    set.UnionWith(opposite.Where(o => o != h));
                }
            }
        }
        foreach (var row in pipes.Concat(tcp))
        {
            Assert.True(other.TryGetValue((row.Pid, row.Fd), out var mine), $"sockpeer has no {row.Type} at {row.Pid}:{row.Fd} ({row.Name})");
            // Holders outside the population (the test runner's and the shell's inherited pipes, the two
            // tools themselves) come and go between the two runs: compare the population's own.
            var theirs = row.Other.Where(h => pids.Contains(h.Item1)).ToHashSet();
            var ours = mine!.Where(h => pids.Contains(h.Item1)).ToHashSet();
            Assert.True(theirs.SetEquals(ours),
                $"{row.Pid}:{row.Fd} {row.Name}: lsof names [{string.Join(' ', theirs.Order())}], sockpeer [{string.Join(' ', ours.Order())}]");
        }
    }

    private static HashSet<(int, int)> Holders(JsonElement end)
        => end.GetProperty("holders").EnumerateArray().Select(h => (h.GetProperty("pid").GetInt32(), h.GetProperty("fd").GetInt32())).ToHashSet();

    /// <summary>lsof -F pftPn: p starts a process, f a file, t its type, P its protocol, n its name (with +E, the other end's holders after a space).</summary>
    private static List<LsofRow> Parse(string output)
    {
        var rows = new List<LsofRow>();
        int pid = 0;
        int? fd = null;
        string type = "", protocol = "";
        foreach (var line in output.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            string v = line[1..];
            switch (line[0])
            {
                case 'p':
                    pid = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case 'f':
                    fd = int.TryParse(v, out int n) ? n : null;
                    break;
                case 't':
                    type = v;
                    protocol = "";
                    break;
                case 'P':
                    protocol = v;
                    break;
                case 'n' when fd is int f:
                    var parts = v.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var others = new HashSet<(int, int)>();
                    foreach (var p in parts.Skip(1))
                    {
                        var e = p.Split(',');
                        if (e.Length >= 3 && int.TryParse(e[0], out int op) && int.TryParse(e[^1].TrimEnd('r', 'w', 'u'), out int ofd))
                        {
                            others.Add((op, ofd));
                        }
                    }
                    rows.Add(new LsofRow(pid, f, type, protocol, v, others));
                    break;
                default:
                    break;
            }
        }
        return rows;
    }
}
