namespace SockPeer.Cli.Commands;

/// <summary>Standard output as the commands use it: buffered, UTF-8, and flushed once at the end.</summary>
internal static class Output
{
    public static Stream OpenStdout() => new BufferedStream(Console.OpenStandardOutput(), 64 * 1024);

    public static StreamWriter Writer(Stream stream) => new(stream, new System.Text.UTF8Encoding(false), 64 * 1024) { AutoFlush = false, NewLine = "\n" };

    public static void Warn(IEnumerable<string> warnings)
    {
        foreach (var w in warnings)
        {
            Console.Error.WriteLine($"sockpeer: warning: {w}");
        }
    }
}
