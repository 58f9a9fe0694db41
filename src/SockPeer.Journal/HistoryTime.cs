using System.Globalization;

namespace SockPeer.Journal;

/// <summary>
/// The times of <c>history --since/--until</c>: RFC 3339 (<c>2026-12-07T03:00:00Z</c>, an offset, or a
/// space for the T), <c>HH:MM[:SS]</c> (today, local time), or relative to now (<c>-2h</c>, <c>-30m</c>,
/// <c>-45s</c>, <c>-7d</c>).
/// </summary>
internal static class HistoryTime
{
    private static readonly string[] Rfc3339 =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string text, DateTimeOffset now, TimeZoneInfo zone, out DateTimeOffset time)
    {
        time = default;
        if (text.Length > 1 && text[0] == '-')
        {
            return TryRelative(text.AsSpan(1), now, out time);
        }
        if (DateTimeOffset.TryParseExact(text, Rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.None, out time)
            && (text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10))
        {
            return true;
        }
        if (TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var clock))
        {
            var today = TimeZoneInfo.ConvertTime(now, zone).Date;
            var local = today + clock.ToTimeSpan();
            time = new DateTimeOffset(local, zone.GetUtcOffset(local));
            return true;
        }
        time = default;
        return false;
    }

    private static bool TryRelative(ReadOnlySpan<char> text, DateTimeOffset now, out DateTimeOffset time)
    {
        time = default;
        int unit = text.Length;
        while (unit > 0 && char.IsAsciiLetter(text[unit - 1]))
        {
            unit--;
        }
        double seconds = text[unit..] switch
        {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            _ => 0,
        };
        if (seconds == 0 || unit == 0 || !double.TryParse(text[..unit], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) || n * seconds > 3650 * 86400.0)
        {
            return false;
        }
        time = now - TimeSpan.FromSeconds(n * seconds);
        return true;
    }
}
