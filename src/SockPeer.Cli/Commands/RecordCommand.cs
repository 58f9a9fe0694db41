using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using SockPeer.Cli.Rendering;
using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Journal;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer record`: every event `watch` would print, with list's filters, kept in a journal (SQLite,
/// docs/journal.md) until SIGTERM or SIGINT. The same event sources and the same filter as watch.
/// </summary>
internal static class RecordCommand
{
    public static readonly Option<string> Db = new("--db")
    {
        Description = "The journal: an SQLite file (default /var/lib/sockpeer/journal.db as root, else $XDG_STATE_HOME/sockpeer/journal.db)",
        HelpName = "FILE",
    };
    private static readonly Option<string> _source = new("--source")
    {
        Description = "Where events come from: auto (eBPF where it can load, else polling), poll, or ebpf (as watch)",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<TimeSpan?> _interval = new("--interval")
    {
        Description = "Time between snapshots when polling, and between the eBPF source's snapshots (default 1s polling, 5s eBPF)",
        CustomParser = r => Durations.Parse(r, "--interval", TimeSpan.FromMilliseconds(50)),
    };
    private static readonly Option<TimeSpan?> _retention = new("--retention")
    {
        Description = "Remove events older than this (30m, 12h, 7d); a warning event says what went",
        CustomParser = r => ParseRetention(r),
    };
    private static readonly Option<long?> _maxSize = new("--max-size")
    {
        Description = "Keep the database under this size (500K, 100M, 2G) by removing the oldest events; a warning event says what went",
        CustomParser = r => ParseSize(r),
    };

    private static readonly Option<Uri?> _otlpEndpoint = new("--otlp-endpoint")
    {
        Description = "Also send each event as an OpenTelemetry log record to this collector (http://HOST:4318, or HOST:4317 with --otlp-protocol grpc)",
        HelpName = "URL",
        CustomParser = ParseEndpoint,
    };
    private static readonly Option<string> _otlpProtocol = new("--otlp-protocol")
    {
        Description = "How --otlp-endpoint is spoken: http/protobuf (default) or grpc",
        DefaultValueFactory = _ => "http/protobuf",
    };

    public static Command Build()
    {
        var command = new Command("record", "Keep every event watch would print (connect, accept, close with its duration, listen, backlog, holders, warnings) "
            + "in an SQLite journal, until SIGTERM or SIGINT; read it back with 'sockpeer history'");
        _source.AcceptOnlyFromAmong([.. SockPeer.Ebpf.EventSources.Names]);
        _otlpProtocol.AcceptOnlyFromAmong([.. SockPeer.Otlp.OtlpEndpoint.Protocols]);
        foreach (var o in (Option[])[Db, _source, _interval, _retention, _maxSize, _otlpEndpoint, _otlpProtocol])
        {
            command.Options.Add(o);
        }
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "record", [.. GlobalOptions.Table, GlobalOptions.Json, GlobalOptions.Format]);
        var socketFilter = FilterOptions.Build(parse);
        var filter = new SocketEventFilter(socketFilter);
        var limits = new JournalLimits(parse.GetValue(_retention), parse.GetValue(_maxSize));
        string path = parse.GetValue(Db) ?? JournalPaths.Default();

        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var reader = new SocketInventoryReader(Snapshot.ReaderOptions(parse, manySnapshots: true));
        var mode = SockPeer.Ebpf.EventSources.Parse(parse.GetValue(_source));
        var interval = parse.GetValue(_interval);
        using ISocketEventSource source = SockPeer.Ebpf.EventSources.Open(reader, mode, interval ?? TimeSpan.FromSeconds(1), interval ?? TimeSpan.FromSeconds(5), socketFilter, out string? noEbpf)
            ?? throw new CliException($"the eBPF event source cannot run here: {noEbpf}");
        JournalRecorder recorder;
        IReadOnlyList<SocketEvent> opened;
        try
        {
            recorder = JournalRecorder.Open(path, source.Name, limits, out opened);
            foreach (var gap in opened)
            {
                Warn(gap.Message!);
            }
        }
        catch (JournalException e)
        {
            throw new CliException(e.Message);
        }
        using var otlp = parse.GetValue(_otlpEndpoint) is { } endpoint ? RecordOtlpExport.Start(endpoint, parse.GetValue(_otlpProtocol)!) : null;
        using (recorder)
        {
            foreach (var gap in opened)
            {
                otlp?.Send(gap);
            }
            if (noEbpf is not null && recorder.Append([new SocketEvent(SocketEventKind.Warning, DateTimeOffset.UtcNow)
            {
                Code = "ebpf_unavailable",
                Message = $"polling, because the eBPF event source cannot run here: {noEbpf}",
            }]).Failure is { } failure)
            {
                Warn(failure);
            }
            JournalRecording.Run(source, filter, recorder,
                first => Output.Error($"sockpeer: recording {filter.Count(first)} socket(s) of {first.Sockets.Count} to {recorder.Path} (source {source.Name}); SIGTERM or Ctrl-C to stop"),
                Warn, stop.Token, otlp is null ? null : otlp.Send);
            Output.Error($"sockpeer: recorded {recorder.Stored} event(s) to {recorder.Path}" + (recorder.Lost > 0 ? $"; {recorder.Lost} could not be stored" : ""));
            otlp?.Dispose(); // the exporter sends what it holds and prints its counts
            return recorder.Lost > 0 ? ReturnCode.Failure : ReturnCode.Ok;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    });

    private static void Warn(string message) => Output.Error($"sockpeer: warning: {message}");

    private static Uri? ParseEndpoint(System.CommandLine.Parsing.ArgumentResult r)
    {
        string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (SockPeer.Otlp.OtlpEndpoint.TryParse(text, out var uri))
        {
            return uri;
        }
        r.AddError($"--otlp-endpoint needs an http:// or https:// URL, not '{SocketName.Escape(text)}'");
        return null;
    }

    private static TimeSpan? ParseRetention(System.CommandLine.Parsing.ArgumentResult r)
    {
        string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (text.EndsWith('d') && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double days) && days > 0 && days < 36500)
        {
            return TimeSpan.FromDays(days);
        }
        if (Durations.TryParse(text, out var span) && span >= TimeSpan.FromSeconds(1))
        {
            return span;
        }
        r.AddError($"--retention needs a duration of at least 1s: 30m, 12h, 7d, not '{SocketName.Escape(text)}'");
        return null;
    }

    private static long? ParseSize(System.CommandLine.Parsing.ArgumentResult r)
    {
        string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        long scale = text.Length == 0 ? 0 : char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, >= '0' and <= '9' => 1, _ => 0 };
        string digits = scale > 1 ? text[..^1] : text;
        if (scale > 0 && double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) && n * scale >= 64 * 1024 && n * scale < 1L << 50)
        {
            return (long)(n * scale);
        }
        r.AddError($"--max-size needs a size of at least 64K: 500K, 100M, 2G, not '{SocketName.Escape(text)}'");
        return null;
    }
}
