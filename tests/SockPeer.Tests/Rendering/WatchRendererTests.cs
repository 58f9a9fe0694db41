using System.Buffers;
using System.Text;
using System.Text.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Tests.Json;
using SockPeer.Tests.Views;
using Xunit;

namespace SockPeer.Tests.Rendering;

/// <summary>
/// `sockpeer watch` output in-process on events built from the hand-built snapshot: the human line
/// (<see cref="WatchRenderer"/>) and the JSON line (<see cref="SocketEventJsonWriter"/>, valid as the
/// schema's watchEvent), for each kind of event.
/// </summary>
public class WatchRendererTests
{
    private static readonly SocketInventory Snapshot = HandBuiltSnapshot.Build();
    private static readonly DateTimeOffset Time = new(2026, 12, 3, 12, 0, 0, 250, TimeSpan.Zero);

    private static SocketEvent Event(SocketEventKind kind, uint socket, uint? peer = null, uint? listener = null) => new(kind, Time)
    {
        Socket = Snapshot.Find(socket),
        Peer = peer is uint p ? Snapshot.Find(p) : null,
        Listener = listener is uint l ? Snapshot.Find(l) : null,
        Processes = Snapshot.Processes,
        Snapshot = Snapshot,
    };

    private static string Human(SocketEvent e, bool color = false) => new WatchRenderer(new Terminal(color)).Line(e);

    private static JsonElement Json(SocketEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SocketEventJsonWriter.WriteLine(buffer, e);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text[..^1]);
        SchemaAssert.Valid(text, "watchEvent");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void A_connect_shows_both_ends_and_the_name()
    {
        var e = Event(SocketEventKind.Connect, 1003, peer: 1002, listener: 1001);
        string line = Human(e);
        Assert.Contains("connect", line, StringComparison.Ordinal);
        Assert.Contains("curl[8001]:3 #1003 <-> nginx[7767]:12 #1002", line, StringComparison.Ordinal);
        Assert.EndsWith("  " + HandBuiltSnapshot.LongPath, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', line);

        var json = Json(e);
        Assert.Equal("connect", json.GetProperty("event").GetString());
        Assert.Equal(1003u, json.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(1002u, json.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(1001u, json.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Equal("poll", json.GetProperty("source").GetString());
    }

    [Fact]
    public void A_close_is_marked_and_says_how_long_it_was_seen()
    {
        var e = Event(SocketEventKind.Close, 1003, peer: 1002) with { ObservedFor = TimeSpan.FromMilliseconds(1500) };
        string line = Human(e);
        Assert.Contains(" -x- ", line, StringComparison.Ordinal);
        Assert.Contains("after 1.500s", line, StringComparison.Ordinal);
        Assert.Equal(1.5, Json(e).GetProperty("observedFor").GetDouble(), 3);
    }

    [Fact]
    public void A_pending_client_points_at_its_listener()
    {
        var e = Event(SocketEventKind.Pending, 1010, listener: 1001);
        string line = Human(e);
        Assert.Contains("curl[8002]:3 #1010 --> #1001 (not accepted yet)", line, StringComparison.Ordinal);
        var json = Json(e);
        Assert.Equal("pending", json.GetProperty("event").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("peer").ValueKind);
    }

    [Fact]
    public void A_listener_shows_its_first_holder_how_many_more_and_its_backlog()
    {
        string line = Human(Event(SocketEventKind.Listen, 1001));
        Assert.Contains("nginx[7760]:6 +8 #1001", line, StringComparison.Ordinal);
        Assert.Contains("backlog 6/5", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_backlog_is_red_on_a_terminal_and_plain_otherwise()
    {
        var e = Event(SocketEventKind.Backlog, 1001) with { Backlog = new BacklogState(6, 5, Full: true) };
        Assert.Contains("  full 6/5", Human(e), StringComparison.Ordinal);
        Assert.Contains("\u001b[31mfull\u001b[0m 6/5", Human(e, color: true), StringComparison.Ordinal);
        var backlog = Json(e).GetProperty("backlog");
        Assert.Equal(6u, backlog.GetProperty("pending").GetUInt32());
        Assert.Equal(5u, backlog.GetProperty("limit").GetUInt32());
        Assert.True(backlog.GetProperty("full").GetBoolean());
    }

    [Fact]
    public void Holders_gained_and_lost_are_listed_with_their_processes()
    {
        var e = Event(SocketEventKind.Holders, 1003) with { HoldersGained = [new SocketHolder(8002, 9)], HoldersLost = [new SocketHolder(8001, 3)] };
        string line = Human(e);
        Assert.Contains("  +curl[8002]:9", line, StringComparison.Ordinal);
        Assert.Contains("  -curl[8001]:3", line, StringComparison.Ordinal);
        var holders = Json(e).GetProperty("holders");
        Assert.Equal(8002, holders.GetProperty("gained")[0].GetProperty("pid").GetInt32());
        Assert.Equal(3, holders.GetProperty("lost")[0].GetProperty("fd").GetInt32());
    }

    [Fact]
    public void A_socket_in_flight_and_a_container_process_read_as_in_list()
    {
        Assert.Contains("(in flight) #1040", Human(Event(SocketEventKind.Close, 1040)), StringComparison.Ordinal);
        Assert.Contains("logger[8003]{docker:web-frontend-canary}:5 #1022", Human(Event(SocketEventKind.Connect, 1022, peer: 1020)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_warning_is_its_message_and_its_code()
    {
        var e = new SocketEvent(SocketEventKind.Warning, Time) { Message = "a snapshot took 263 ms", Code = "slow_poll" };
        Assert.EndsWith("warning  a snapshot took 263 ms", Human(e), StringComparison.Ordinal);
        var json = Json(e);
        Assert.Equal("warning", json.GetProperty("event").GetString());
        Assert.Equal("slow_poll", json.GetProperty("code").GetString());
        Assert.Equal("a snapshot took 263 ms", json.GetProperty("message").GetString());
    }

    [Fact]
    public void Colours_only_when_asked()
    {
        var e = Event(SocketEventKind.Connect, 1003, peer: 1002, listener: 1001);
        Assert.Contains("\u001b[32mconnect\u001b[0m", Human(e, color: true), StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', Human(e));
    }
    [Theory]
    [InlineData(2026, 12, 3, 12, 0, 0, 250, 0)]
    [InlineData(1, 1, 1, 0, 0, 0, 0, 0)]
    [InlineData(999, 2, 28, 23, 59, 59, 999, 9999)] // a year of three digits; the sub-millisecond ticks are cut, as "fff" cuts them
    [InlineData(2024, 2, 29, 9, 5, 7, 3, 5000)]
    public void The_time_of_a_JSON_line_is_UTC_with_milliseconds_as_the_format_string_gives_it(int year, int month, int day, int hour, int minute, int second, int ms, int ticks)
    {
        var time = new DateTimeOffset(year, month, day, hour, minute, second, ms, TimeSpan.Zero).AddTicks(ticks);
        string expected = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var json = Json(new SocketEvent(SocketEventKind.Warning, time) { Message = "m", Code = "c" });
        Assert.Equal(expected, json.GetProperty("time").GetString());
        // Another offset: the line is in UTC all the same.
        var shifted = Json(new SocketEvent(SocketEventKind.Warning, time.ToOffset(TimeSpan.FromHours(5))) { Message = "m", Code = "c" });
        Assert.Equal(expected, shifted.GetProperty("time").GetString());
    }

    [Fact]
    public void Each_JSON_line_names_its_own_sockets_when_lines_of_different_names_follow_each_other()
    {
        // The writer keeps the last name it encoded: a line must never carry the name of the line before.
        var sockets = Snapshot.Sockets.OrderBy(s => s.NameBytes is null).ThenBy(s => s.Inode).ToList();
        Assert.True(sockets.Select(s => s.Name).Distinct().Count() >= 3, "the hand-built snapshot has several names");
        foreach (var s in sockets.Concat(sockets.AsEnumerable().Reverse()))
        {
            var json = Json(new SocketEvent(SocketEventKind.Exists, Time) { Socket = s, Processes = [], Snapshot = Snapshot });
            var socket = json.GetProperty("socket");
            Assert.Equal(s.Name, socket.GetProperty("name").GetString());
            Assert.Equal(s.NameBytes is null ? null : Convert.ToBase64String(s.NameBytes), socket.GetProperty("nameBytes").GetString());
        }
    }

    [Theory]
    // Adelaide's clocks go back from 03:00 to 02:00 local (+10:30 to +9:30) at 16:30 UTC: a
    // half-hour offset and a change in the middle of a UTC hour; Berlin's go forward at 01:00 UTC.
    [InlineData("Australia/Adelaide", 2026, 4, 4, 16, 29, 59, 999)]
    [InlineData("Australia/Adelaide", 2026, 4, 4, 16, 30, 0, 0)]
    [InlineData("Europe/Berlin", 2026, 3, 29, 0, 59, 59, 500)]
    [InlineData("Europe/Berlin", 2026, 3, 29, 1, 0, 0, 1)]
    [InlineData("UTC", 2026, 12, 3, 12, 0, 0, 250)]
    public void The_time_of_a_human_line_is_the_zones_local_time_across_its_offset_changes(string zoneId, int year, int month, int day, int hour, int minute, int second, int ms)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var renderer = new WatchRenderer(new Terminal(false), zone);
        var time = new DateTimeOffset(year, month, day, hour, minute, second, ms, TimeSpan.Zero);
        // The renderer keeps the offset of the minute it saw last: a line a minute before comes first.
        renderer.Line(new SocketEvent(SocketEventKind.Warning, time.AddMinutes(-1)) { Message = "m" });
        string line = renderer.Line(new SocketEvent(SocketEventKind.Warning, time) { Message = "m" });
        string expected = TimeZoneInfo.ConvertTime(time, zone).ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith(expected + " ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_line_written_as_UTF8_is_the_line_itself_also_when_it_is_long_and_not_ASCII(bool color)
    {
        // Longer than the builder's first chunk, with a character of two UTF-16 units placed, over the
        // paddings, at every position around where the first chunk ends.
        for (int padding = 180; padding <= 260; padding++)
        {
            string name = "/run/" + new string('x', padding) + "\U0001F600-é/app.sock";
            var socket = Snapshot.Find(1001)! with { NameBytes = Encoding.UTF8.GetBytes(name) };
            var e = new SocketEvent(SocketEventKind.Listen, Time) { Socket = socket, Processes = Snapshot.Processes, Snapshot = Snapshot };
            var renderer = new WatchRenderer(new Terminal(color));
            var buffer = new ArrayBufferWriter<byte>();
            renderer.WriteLine(e, buffer);
            Assert.Equal(renderer.Line(e) + "\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
            Assert.Contains("\U0001F600-é", Encoding.UTF8.GetString(buffer.WrittenSpan), StringComparison.Ordinal);
        }
    }
}
