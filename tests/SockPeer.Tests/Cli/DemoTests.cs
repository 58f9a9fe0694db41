using System.Text.Json;
using System.Text.RegularExpressions;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `sockpeer demo` runs an echo server that hands each connection to a handler process and a client
/// whose socket is shared by a sending parent and a reading child, shows `sockpeer peer` for the
/// client's fd, and leaves nothing behind. Only this class runs the demo, so the /proc scan for
/// leftovers cannot see another test's demo; other checkouts' demos run other binaries.
/// </summary>
public partial class DemoTests
{
    [GeneratedRegex(@"echo server\s+pid (\d+) listening on (\S+);")]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"client\s+pid (\d+) holds the socket on fd (\d+) and sends; its child pid (\d+) shares it and reads")]
    private static partial Regex ClientLine();

    [Fact]
    public void Human_output_shows_both_processes_the_reply_and_the_handler_at_the_other_end()
    {
        var r = SockpeerCli.Run("demo");
        Assert.True(r.ExitCode == 0, $"demo exited {r.ExitCode}: {r.Stderr}");
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain('\u001b', r.Stdout);

        var server = ServerLine().Match(r.Stdout);
        Assert.True(server.Success, r.Stdout);
        var client = ClientLine().Match(r.Stdout);
        Assert.True(client.Success, r.Stdout);
        int serverPid = int.Parse(server.Groups[1].Value);
        string path = server.Groups[2].Value;
        int clientPid = int.Parse(client.Groups[1].Value);
        int fd = int.Parse(client.Groups[2].Value);
        int readerPid = int.Parse(client.Groups[3].Value);

        Assert.Contains("the parent sent \"hello\"; the child read \"1 -> hello\"", r.Stdout);
        Assert.Contains($"$ sockpeer peer {clientPid} {fd}", r.Stdout);

        var lines = r.Stdout.Split('\n');
        var socketSection = Section(lines, "socket");
        Assert.Contains(socketSection, l => l.Contains($"[{clientPid}]:{fd} ", StringComparison.Ordinal) && l.Contains("__demo-client", StringComparison.Ordinal));
        Assert.Contains(socketSection, l => l.Contains($"[{readerPid}]:", StringComparison.Ordinal) && l.Contains("__demo-reader", StringComparison.Ordinal));
        var peerSection = Section(lines, "peer");
        Assert.StartsWith("peer ", peerSection[0]);
        Assert.Contains(path, peerSection[0]);
        var handlers = peerSection.Skip(1).Where(l => l.Contains("__demo-handler", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(handlers);
        Assert.All(peerSection.Skip(1), l => Assert.Contains("__demo-handler", l));
        var listenerSection = Section(lines, "listener");
        Assert.Contains(listenerSection, l => l.Contains($"[{serverPid}]:", StringComparison.Ordinal) && l.Contains("__demo-server", StringComparison.Ordinal));

        var handlerPids = handlers.Select(l => int.Parse(Regex.Match(l, @"\[(\d+)\]:").Groups[1].Value));
        AssertCleanedUp([serverPid, clientPid, readerPid, .. handlerPids], Path.GetDirectoryName(path)!);
    }

    [Fact]
    public void Json_output_is_a_peer_document_whose_peer_is_held_by_the_handler()
    {
        var r = SockpeerCli.Run("demo", "--json");
        Assert.True(r.ExitCode == 0, $"demo --json exited {r.ExitCode}: {r.Stderr}");
        SchemaAssert.Valid(r.Stdout, "peer");
        var doc = r.Json();
        var processes = doc.GetProperty("processes").EnumerateArray().ToDictionary(
            p => p.GetProperty("pid").GetInt32(),
            p => string.Join(' ', p.GetProperty("cmdline").EnumerateArray().Select(a => a.GetString())));

        string Role(int pid) => processes.TryGetValue(pid, out var cmdline) ? cmdline : $"(pid {pid} not in processes)";

        var socket = doc.GetProperty("socket");
        var peer = doc.GetProperty("peer");
        Assert.Equal(JsonValueKind.Object, peer.ValueKind);
        Assert.Equal(peer.GetProperty("inode").GetUInt32(), socket.NullableUInt("peer"));
        Assert.Equal(socket.GetProperty("inode").GetUInt32(), peer.NullableUInt("peer"));

        var peerHolders = peer.Holders();
        Assert.NotEmpty(peerHolders);
        Assert.All(peerHolders, h => Assert.Contains("__demo-handler", Role(h.Pid)));
        var socketHolders = socket.Holders();
        Assert.Contains(socketHolders, h => Role(h.Pid).Contains("__demo-client", StringComparison.Ordinal));
        Assert.Contains(socketHolders, h => Role(h.Pid).Contains("__demo-reader", StringComparison.Ordinal));
        Assert.Equal(2, socketHolders.Select(h => h.Pid).Distinct().Count());
        var listener = doc.GetProperty("listener");
        Assert.Contains(listener.Holders(), h => Role(h.Pid).Contains("__demo-server", StringComparison.Ordinal));

        string path = peer.GetProperty("name").GetString()!;
        AssertCleanedUp([.. processes.Keys], Path.GetDirectoryName(path)!);
    }

    [Fact]
    public void On_a_terminal_with_NO_COLOR_the_demo_writes_no_escape_sequence()
    {
        // The demo starts and reaps child processes: nothing may re-arm terminal modes either.
        var r = SockpeerCli.Bash("""script -qec "'$1' demo" /dev/null""",
            new Dictionary<string, string> { ["NO_COLOR"] = "1", ["TERM"] = "xterm" });
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stdout} {r.Stderr}");
        Assert.Contains("1 -> hello", r.Stdout);
        Assert.DoesNotContain('\u001b', r.Stdout);
        Assert.Empty(HostFacts.ProcessesRunning(SockpeerCli.Path, "__demo-"));
    }

    [Fact]
    public void Demo_into_a_closed_pipe_ends_quietly_and_leaves_nothing_behind()
    {
        var r = SockpeerCli.RunIntoClosedPipe("demo");
        Assert.True(r.ExitCode == 0, $"demo into a closed pipe exited {r.ExitCode}: {r.Stderr}");
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("pipe", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.All(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("sockpeer: warning: ", l, StringComparison.Ordinal));
        var left = HostFacts.ProcessesRunning(SockpeerCli.Path, "__demo-");
        Assert.True(left.Count == 0, "demo processes left: " + string.Join("; ", left.Select(p => $"{p.Pid} {p.CommandLine}")));
    }

    /// <summary>The lines of one section of the peer view: its label line and the indented holder lines after it.</summary>
    private static string[] Section(string[] lines, string label)
    {
        int start = Array.FindIndex(lines, l => l.StartsWith(label + " ", StringComparison.Ordinal));
        Assert.True(start >= 0, $"no '{label}' section in:\n{string.Join('\n', lines)}");
        int end = start + 1;
        while (end < lines.Length && lines[end].StartsWith("          ", StringComparison.Ordinal))
        {
            end++;
        }
        return lines[start..end];
    }

    private static void AssertCleanedUp(int[] pids, string dir)
    {
        Assert.StartsWith(Path.GetTempPath().TrimEnd('/') + "/sockpeer-demo-", dir);
        Assert.False(Directory.Exists(dir), $"the demo left {dir} behind");
        foreach (int pid in pids)
        {
            Assert.False(HostFacts.IsAlive(pid), $"demo process {pid} is still running");
        }
        var left = HostFacts.ProcessesRunning(SockpeerCli.Path, "__demo-");
        Assert.True(left.Count == 0, "demo processes left: " + string.Join("; ", left.Select(p => $"{p.Pid} {p.CommandLine}")));
    }
}
