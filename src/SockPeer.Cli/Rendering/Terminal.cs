using System.Text;

namespace SockPeer.Cli.Rendering;

/// <summary>Colours only on a terminal, and never with NO_COLOR or TERM=dumb.</summary>
internal sealed class Terminal
{
    public bool Color { get; }

    public Terminal(bool color) => Color = color;

    public static Terminal Detect()
    {
        bool color = !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && Environment.GetEnvironmentVariable("TERM") is not "dumb";
        return new Terminal(color);
    }

    public string Paint(string text, string code) => Color ? $"\u001b[{code}m{text}\u001b[0m" : text;

    /// <summary><see cref="Paint(string, string)"/> appended to <paramref name="line"/>, without making a string; no colour for a null <paramref name="code"/>.</summary>
    public StringBuilder Paint(StringBuilder line, string text, string? code) => EndPaint(StartPaint(line, code).Append(text), code);

    /// <summary>As above, for text built in a builder (copied chunk by chunk, no string made).</summary>
    public StringBuilder Paint(StringBuilder line, StringBuilder text, string? code) => EndPaint(StartPaint(line, code).Append(text), code);

    /// <summary>The escape that starts <paramref name="code"/>'s colour, when colours are on; text painted in parts goes between it and <see cref="EndPaint"/>.</summary>
    public StringBuilder StartPaint(StringBuilder line, string? code)
        => code is not null && Color ? line.Append("\u001b[").Append(code).Append('m') : line;

    /// <summary>The escape that ends <see cref="StartPaint"/>'s colour.</summary>
    public StringBuilder EndPaint(StringBuilder line, string? code)
        => code is not null && Color ? line.Append("\u001b[0m") : line;

    public const string Dim = "2";
    public const string Bold = "1";
    public const string Green = "32";
    public const string Yellow = "33";
    public const string Red = "31";
    public const string Cyan = "36";
    public const string Magenta = "35";
}
