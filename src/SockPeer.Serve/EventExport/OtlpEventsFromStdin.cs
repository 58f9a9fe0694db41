using System.Runtime.InteropServices;
using SockPeer.Json;
using SockPeer.Otlp;

namespace SockPeer.Serve.EventExport;

/// <summary>
/// <c>sockpeer-serve __export-events-otlp URL PROTOCOL</c>: the OTLP log export of <c>sockpeer record
/// --otlp-endpoint</c>. record writes each stored event's watch line to this process's stdin; each line
/// is read back (<see cref="SocketEventJsonReader"/>, the writer's inverse) and exported as one log
/// record. It lives here, in the binary that already carries OpenTelemetry's SDK and its HTTP stack,
/// because linking them into <c>sockpeer</c> made every command start 5 ms slower and the binary
/// 6.5 MB bigger (bench/RESULTS.md). It ends when stdin does (record stopped, or was killed): what
/// is queued is sent, and the counts go to stderr. SIGINT and SIGTERM are left to record, which
/// gets them too (one process group, one cgroup) and closes the pipe.
/// </summary>
internal static class OtlpEventsFromStdin
{
    /// <summary>The hidden first argument.</summary>
    public const string Argument = "__export-events-otlp";

    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length != 2 || !OtlpEndpoint.TryParse(args[0], out var endpoint) || !OtlpEndpoint.Protocols.Contains(args[1]))
        {
            Console.Error.WriteLine($"sockpeer: {Argument} takes an http(s) URL and one of {string.Join(", ", OtlpEndpoint.Protocols)}");
            return 2;
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);
        long unreadable = 0;
        var exporter = new OtlpEventExporter(new OtlpEventExportOptions
        {
            Endpoint = endpoint,
            Protocol = args[1],
            ExportFailed = f => Warn($"OTLP export of {f.Records} event(s) to {endpoint} failed ({f.Totals.Lost} lost so far)"),
        });
        using (var input = new StreamReader(Console.OpenStandardInput(), System.Text.Encoding.UTF8, false, 64 * 1024))
        {
            while (input.ReadLine() is { } line)
            {
                if (SocketEventJsonReader.TryRead(System.Text.Encoding.UTF8.GetBytes(line), out var e, out string? error))
                {
                    exporter.Export(e!);
                }
                else if (unreadable++ == 0)
                {
                    Warn($"a line record handed over is not a watch event ({error}); such lines are not exported");
                }
            }
        }
        exporter.Dispose(); // sends what is queued, so the counts below are final
        var counts = exporter.Counts;
        Console.Error.WriteLine($"sockpeer: exported {counts.Exported} event(s) to {endpoint}"
            + (counts.Lost + unreadable > 0 ? $"; {counts.Lost + unreadable} lost ({counts.Dropped} dropped with the queue full, {counts.Failed} refused or unanswered, {unreadable} unreadable)" : ""));
        return counts.Lost + unreadable > 0 ? 1 : 0;
    }

    private static void Warn(string message) => Console.Error.WriteLine($"sockpeer: warning: {message}");
}
