using System.Globalization;
using System.CommandLine.Parsing;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>Durations on the command line: a number and a unit, `250ms`, `2s`, `1.5m`, `1h`.</summary>
internal static class Durations
{
    public static TimeSpan? Parse(ArgumentResult result, string option, TimeSpan minimum)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParse(text, out var span) && span >= minimum)
        {
            return span;
        }
        string why = TryParse(text, out _) ? $"at least {Format(minimum)}" : "a number and a unit: ms, s, m or h (250ms, 2s, 1m)";
        result.AddError($"{option} needs {why}, not '{SocketName.Escape(text)}'");
        return null;
    }

    public static bool TryParse(string text, out TimeSpan span)
    {
        span = default;
        int unit = text.Length;
        while (unit > 0 && char.IsAsciiLetter(text[unit - 1]))
        {
            unit--;
        }
        double scale = text[unit..] switch
        {
            "ms" => 0.001,
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => 0,
        };
        if (scale == 0 || unit == 0
            || !double.TryParse(text.AsSpan(0, unit), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || value * scale > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }
        span = TimeSpan.FromSeconds(value * scale);
        return true;
    }

    public static string Format(TimeSpan t) => t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:0.###}ms" : t.TotalSeconds < 60 ? $"{t.TotalSeconds:0.###}s" : $"{t.TotalMinutes:0.###}m";
}
