using SockPeer.Interop;
namespace SockPeer.Cli.Commands;

/// <summary>Standard output as the commands use it: buffered, UTF-8, and flushed once at the end.</summary>
internal static class Output
{
    private static readonly System.Text.UTF8Encoding Utf8 = new(false);

    // Not System.Console's streams: see FileDescriptorStream.
    public static Stream OpenStdout() => new BufferedStream(new FileDescriptorStream(1), 64 * 1024);

    public static StreamWriter Writer(Stream stream) => new(stream, Utf8, 64 * 1024) { AutoFlush = false, NewLine = "\n" };

    /// <summary>Unbuffered writers for System.CommandLine's help and messages.</summary>
    public static TextWriter Text(int fd) => new StreamWriter(new FileDescriptorStream(fd), Utf8) { AutoFlush = true, NewLine = "\n" };

    /// <summary>Writes one line to stderr in a single write.</summary>
    public static void Error(string line) => new FileDescriptorStream(2).Write(Utf8.GetBytes(line + "\n"));

    /// <summary>Writes a command's answer as JSON (warnings inside) or as the human view (warnings on stderr).</summary>
    public static void Render(bool json, SockPeer.Inventory.SocketInventory inventory, Action<Stream> writeJson, Action<Rendering.HumanRenderer> writeHuman)
    {
        using var stdout = OpenStdout();
        if (json)
        {
            writeJson(stdout);
            return;
        }
        Warn(inventory.Warnings);
        using var writer = Writer(stdout);
        writeHuman(new Rendering.HumanRenderer(writer, Rendering.Terminal.Detect(), inventory));
    }

    public static void Warn(IEnumerable<string> warnings)
    {
        foreach (var w in warnings)
        {
            Error($"sockpeer: warning: {w}");
        }
    }
}
