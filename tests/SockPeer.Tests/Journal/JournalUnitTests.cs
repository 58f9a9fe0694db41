using System.Buffers;
using SockPeer.Events;
using SockPeer.Journal;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>The journal's pure parts: the watch line read back, the times of --since/--until, the SQL prefilter's prefix.</summary>
public sealed class JournalUnitTests
{
    private static UnixSocket Sock(uint inode, SocketRole role, string? name = null) => new()
    {
        Inode = inode,
        Cookie = 77,
        NetNs = 4026531840,
        Type = UnixSocketType.Stream,
        Role = role,
        State = role == SocketRole.Listener ? UnixSocketState.Listening : UnixSocketState.Connected,
        NameBytes = name is null ? null : System.Text.Encoding.UTF8.GetBytes(name + "\0"),
        File = name is null ? null : new SocketFile(254, 1, 99, SocketFileStatus.Ok) { Mode = 0x1ed, Uid = 0, Gid = 0, ResolvedPath = "/run/x.sock" },
        Peer = role == SocketRole.Listener ? null : inode + 1,
        Pending = role == SocketRole.Listener ? [5u, 6u] : [],
        PendingCount = role == SocketRole.Listener ? 2u : null,
        Backlog = role == SocketRole.Listener ? 1u : null,
        Uid = 1000,
        Holders = [new SocketHolder(42, 3), new SocketHolder(43, 9)],
        Clients = [7u],
        Shutdown = ShutdownState.Write,
        RecvQueue = 12,
    };

    public static TheoryData<string> Events => new()
    {
        "connect", "close", "backlog", "holders", "warning",
    };

    /// <summary>Every field the writer writes survives a read: writing the read event gives the same bytes.</summary>
    [Theory]
    [MemberData(nameof(Events))]
    public void A_watch_line_read_back_writes_the_same_line(string kind)
    {
        var e = kind switch
        {
            "warning" => new SocketEvent(SocketEventKind.Warning, new DateTimeOffset(2026, 12, 7, 3, 0, 1, 234, TimeSpan.Zero)) { Code = "ebpf_lost", Message = "3 lost \"quoted\" é", Source = "ebpf" },
            _ => new SocketEvent(kind switch { "connect" => SocketEventKind.Connect, "close" => SocketEventKind.Close, "backlog" => SocketEventKind.Backlog, _ => SocketEventKind.Holders },
                new DateTimeOffset(2026, 12, 7, 3, 0, 1, 234, TimeSpan.Zero))
            {
                Socket = kind == "backlog" ? Sock(10, SocketRole.Listener, "/run/x.sock") : Sock(20, SocketRole.Client),
                Peer = kind is "connect" or "close" ? Sock(21, SocketRole.Server, "/run/x.sock") : null,
                Listener = kind == "connect" ? Sock(10, SocketRole.Listener, "/run/x.sock") : null,
                Processes = [new ProcessInfo { Pid = 42, PPid = 1, Command = "app", CommandLine = ["app", "--x"], Uid = 1000, User = "app", NetNs = 4026531840, Container = new ContainerInfo("docker", "abc", "web") }],
                ObservedFor = kind == "close" ? TimeSpan.FromMilliseconds(1234) : null,
                Backlog = kind == "backlog" ? new BacklogState(2, 1, true) : null,
                HoldersGained = kind == "holders" ? [new SocketHolder(44, 5)] : [],
                HoldersLost = kind == "holders" ? [new SocketHolder(43, 9)] : [],
                Source = "ebpf",
            },
        };
        var first = new ArrayBufferWriter<byte>();
        SocketEventJsonWriter.WriteLine(first, e);
        Assert.True(SocketEventJsonReader.TryRead(first.WrittenSpan, out var read, out string? error), error);
        var second = new ArrayBufferWriter<byte>();
        SocketEventJsonWriter.WriteLine(second, read!);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(first.WrittenSpan), System.Text.Encoding.UTF8.GetString(second.WrittenSpan));
        Assert.Equal(e.Kind != SocketEventKind.Warning, read!.Snapshot is not null);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("{\"schema\":2,\"time\":\"2026-12-07T03:00:00.000Z\",\"event\":\"connect\"}")]
    [InlineData("{\"schema\":1,\"time\":\"2026-12-07T03:00:00.000Z\",\"event\":\"teleport\"}")]
    [InlineData("{\"schema\":1,\"time\":\"2026-12-07T03:00:00.000Z\",\"event\":\"connect\",\"socket\":{\"inode\":-1}}")]
    [InlineData("{\"schema\":1,\"time\":\"2026-12-07T03:00:00.000Z\",\"event\":\"connect\"")]
    public void A_line_that_is_no_watch_event_is_refused_with_a_reason(string line)
    {
        Assert.False(SocketEventJsonReader.TryRead(System.Text.Encoding.UTF8.GetBytes(line), out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 7, 15, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-12-07T03:00:00Z", "2026-12-07T03:00:00.000Z")]
    [InlineData("2026-12-07T03:00:00.5Z", "2026-12-07T03:00:00.500Z")]
    [InlineData("2026-12-07T05:00:00+02:00", "2026-12-07T03:00:00.000Z")]
    [InlineData("2026-12-07 03:00:00Z", "2026-12-07T03:00:00.000Z")]
    [InlineData("-2h", "2026-12-07T13:30:00.000Z")]
    [InlineData("-30m", "2026-12-07T15:00:00.000Z")]
    [InlineData("-1.5d", "2026-12-06T03:30:00.000Z")]
    [InlineData("03:00", "2026-12-07T02:00:00.000Z")]
    [InlineData("03:00:30", "2026-12-07T02:00:30.000Z")]
    public void Times_of_since_and_until(string text, string utc)
    {
        // A zone one hour east of UTC, so HH:MM is today's local time.
        var zone = TimeZoneInfo.CreateCustomTimeZone("test+1", TimeSpan.FromHours(1), "test+1", "test+1");
        Assert.True(HistoryTime.TryParse(text, Now, zone, out var t));
        Assert.Equal(utc, t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-12-07T03:00:00")] // no zone: refused rather than guessed
    [InlineData("25:00")]
    [InlineData("-5x")]
    [InlineData("-h")]
    [InlineData("")]
    public void Times_that_are_refused(string text)
        => Assert.False(HistoryTime.TryParse(text, Now, TimeZoneInfo.Utc, out _));

    [Theory]
    [InlineData("/run/app/*.sock", "/run/app/")]
    [InlineData("/run/docker.sock", "/run/docker.sock")]
    [InlineData("docker.sock", null)]
    [InlineData("@abstract*", null)]
    [InlineData(null, null)]
    public void The_sql_prefilter_uses_the_globs_literal_start(string? glob, string? prefix)
        => Assert.Equal(prefix, HistoryQuery.PrefixOf(glob));
}
