using SockPeer.Cli.Interop;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;
using System.CommandLine;

namespace SockPeer.Cli.Commands;

/// <summary>Standard output as the commands use it: buffered, UTF-8, and flushed once at the end.</summary>
internal static class Output
{
    private static readonly System.Text.UTF8Encoding Utf8 = new(false);
    private const int PidsNamed = 5;

    // Not System.Console's streams: see FileDescriptorStream.
    public static Stream OpenStdout() => new BufferedStream(new FileDescriptorStream(1), 64 * 1024);

    public static StreamWriter Writer(Stream stream) => new(stream, Utf8, 64 * 1024) { AutoFlush = false, NewLine = "\n" };

    /// <summary>Unbuffered writers for System.CommandLine's help and messages.</summary>
    public static TextWriter Text(int fd) => new StreamWriter(new FileDescriptorStream(fd), Utf8) { AutoFlush = true, NewLine = "\n" };

    /// <summary>Writes one line to stderr in a single write.</summary>
    public static void Error(string line) => new FileDescriptorStream(2).Write(Utf8.GetBytes(line + "\n"));

    /// <summary>
    /// Writes a command's answer in the format asked for. JSON carries every warning inside; the human
    /// view prints on stderr those that can affect <paramref name="shown"/> (none with --quiet).
    /// </summary>
    public static void Render(ParseResult parse, SocketInventory inventory, IEnumerable<UnixSocket> shown, bool completeList, IReadOnlySet<int> selected, Action<IRenderer> write)
    {
        using var stdout = OpenStdout();
        if (GlobalOptions.AsJson(parse))
        {
            write(new JsonRenderer(stdout));
            return;
        }
        Warn(parse, RelevantWarnings.For(inventory, shown, completeList, selected));
        using var writer = Writer(stdout);
        write(new HumanRenderer(writer, Terminal.Detect(), GlobalOptions.TableOptions(parse, selected)));
    }

    /// <summary>A hint on stderr, unless --quiet or JSON.</summary>
    public static void Hint(ParseResult parse, string text)
    {
        if (!parse.GetValue(GlobalOptions.Quiet) && !GlobalOptions.AsJson(parse))
        {
            Error($"sockpeer: hint: {text}");
        }
    }

    /// <summary>The warnings on stderr, one line each, unless --quiet or JSON (whose document carries them).</summary>
    public static void Warn(ParseResult parse, IEnumerable<InventoryWarning> warnings)
    {
        if (parse.GetValue(GlobalOptions.Quiet) || GlobalOptions.AsJson(parse))
        {
            return;
        }
        foreach (var w in warnings)
        {
            Error($"sockpeer: warning: {WithPids(w)}");
        }
    }

    /// <summary>
    /// The warning's sentence, naming the pids it concerns where they are known: the first few, then
    /// "and N more" (its <see cref="InventoryWarning.Count"/> says how many there are in all).
    /// </summary>
    public static string WithPids(InventoryWarning w)
    {
        if (w.Pids.Count == 0)
        {
            return w.Message;
        }
        int total = Math.Max(w.Count, w.Pids.Count);
        var named = w.Pids.Take(PidsNamed).ToList();
        string more = total > named.Count ? $" and {total - named.Count} more" : "";
        return $"{w.Message} (pid{(total > 1 ? "s" : "")} {string.Join(", ", named)}{more})";
    }
}
