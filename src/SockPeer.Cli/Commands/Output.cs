namespace SockPeer.Cli.Commands;

/// <summary>Standard output as the commands use it: buffered, UTF-8, and flushed once at the end.</summary>
internal static class Output
{
    private static readonly System.Text.UTF8Encoding Utf8 = new(false);

    // Not System.Console's streams: see FdStream.
    public static Stream OpenStdout() => new BufferedStream(new FdStream(1), 64 * 1024);

    public static StreamWriter Writer(Stream stream) => new(stream, Utf8, 64 * 1024) { AutoFlush = false, NewLine = "\n" };

    /// <summary>Unbuffered writers for System.CommandLine's help and messages.</summary>
    public static TextWriter Text(int fd) => new StreamWriter(new FdStream(fd), Utf8) { AutoFlush = true, NewLine = "\n" };

    /// <summary>Writes one line to stderr in a single write.</summary>
    public static void Error(string line) => new FdStream(2).Write(Utf8.GetBytes(line + "\n"));

    public static void Warn(IEnumerable<string> warnings)
    {
        foreach (var w in warnings)
        {
            Error($"sockpeer: warning: {w}");
        }
    }
}
