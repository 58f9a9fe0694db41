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

    public const string Dim = "2";
    public const string Bold = "1";
    public const string Green = "32";
    public const string Yellow = "33";
    public const string Red = "31";
    public const string Cyan = "36";
    public const string Magenta = "35";
}
