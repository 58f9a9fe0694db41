using System.Buffers;
using System.Text;
using SockPeer.Json;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Json;

/// <summary>
/// The journal stores each watch line in its compact form (fields that are null, false or an empty list
/// left out) and `history` writes it out in full again. That must give back the very line watch printed:
/// checked on the lines `watch --json --initial` prints for sockets of every kind that separate processes
/// made (listeners with waiting and accepted clients, a full backlog, socketpairs, datagram sockets bound
/// and connected, an abstract name, a socket in flight, an unlinked file, a child sharing a socket).
/// </summary>
public class CompactLineTests
{
    [Fact]
    public void A_compact_line_read_back_and_written_in_full_is_the_line_watch_printed()
    {
        using var scene = SocketScene.Build()
            .Named("compact-scene")
            .Listen("live", backlog: 4)
            .Connect("live", 1, Holder.Child, accept: 1, comm: "cclient")
            .Connect("live", 1, Holder.Child, comm: "cwaiter")
            .Listen("full", backlog: 1)
            .Connect("full", 2, Holder.Child, comm: "cfull")
            .Listen("abs", abstractName: Encoding.UTF8.GetBytes($"sockpeer-compact-{Environment.ProcessId}"))
            .Bind("dg")
            .Connect("dg", 2, Holder.ChildEach, comm: "cdgclient")
            .Pair("pr", secondEndInChild: true)
            .Pair("carrier")
            .Pair("fl")
            .SendInFlight("carrier.a", "fl.b")
            .Listen("gone").Unlink("gone")
            .Start();
        // Every socket of the host (the scene's children are processes of their own), as watch prints them.
        var r = SockpeerCli.Run("watch", "--json", "--initial", "--source", "poll", "--duration", "1s");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 8, $"{lines.Length} lines: {r.Stdout}");
        long full = 0, compact = 0;
        foreach (string line in lines)
        {
            Assert.True(SocketEventJsonReader.TryRead(Encoding.UTF8.GetBytes(line), out var e, out string? error), error);
            var small = new ArrayBufferWriter<byte>();
            SocketEventJsonWriter.WriteLine(small, e!, compact: true);
            string stored = Encoding.UTF8.GetString(small.WrittenSpan).TrimEnd('\n');
            using (var doc = System.Text.Json.JsonDocument.Parse(stored))
            {
                NoDefaultField(doc.RootElement, "");
            }

            Assert.True(SocketEventJsonReader.TryRead(small.WrittenSpan[..^1], out var back, out error), error);
            var again = new ArrayBufferWriter<byte>();
            SocketEventJsonWriter.WriteLine(again, back!);
            Assert.Equal(line, Encoding.UTF8.GetString(again.WrittenSpan).TrimEnd('\n'));
            full += line.Length;
            compact += stored.Length;
        }
        Assert.True(compact * 10 < full * 7, $"compact lines are {compact} bytes against {full}: not the saving the journal counts on");
    }

    /// <summary>No field of the compact form is null, false or an empty list (string values may say anything).</summary>
    private static void NoDefaultField(System.Text.Json.JsonElement e, string path)
    {
        if (e.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in e.EnumerateArray())
            {
                NoDefaultField(item, $"{path}[{i++}]");
            }
            return;
        }
        if (e.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in e.EnumerateObject())
        {
            Assert.False(p.Value.ValueKind is System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.False
                || (p.Value.ValueKind == System.Text.Json.JsonValueKind.Array && p.Value.GetArrayLength() == 0), $"{path}.{p.Name} is {p.Value.GetRawText()} in the compact form");
            NoDefaultField(p.Value, path + "." + p.Name);
        }
    }
}
