using System.Buffers;
using System.CommandLine;
using System.Runtime.InteropServices;
using SockPeer.Cli.Interop;
using SockPeer.Cli.Rendering;
using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer watch`: snapshots every interval, compared, printed as one line per change (connect,
/// accept, close, listen, backlog, holders...), with list's filters applied to both ends.
/// </summary>
internal static class WatchCommand
{
    public const string PollingLimit = "Changes are found by comparing snapshots taken every --interval: a connection that opens and closes within one interval is not seen at all.";

    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(50);

    private static readonly Option<TimeSpan?> _interval = new("--interval")
    {
        Description = "Time between snapshots: 250ms, 2s, 1m (default 1s, at least 50ms)",
        CustomParser = r => Durations.Parse(r, "--interval", MinimumInterval),
    };
    private static readonly Option<int?> _count = new("--count")
    {
        Description = "Stop after N events that happen after the start (not counting --initial's exists lines, nor warnings)",
        CustomParser = ParseCount,
    };
    private static readonly Option<TimeSpan?> _duration = new("--duration")
    {
        Description = "Stop after this long: 30s, 10m, 1h",
        CustomParser = r => Durations.Parse(r, "--duration", TimeSpan.FromMilliseconds(1)),
    };
    private static readonly Option<bool> _initial = new("--initial") { Description = "First print what exists now, as 'exists' events" };
    private static readonly Option<string> _source = new("--source")
    {
        Description = "Where events come from: auto (eBPF where it can load, else polling), poll (snapshots compared), "
            + "or ebpf (every connect, accept and close from the kernel, however short; needs root and kernel BTF)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>With eBPF, snapshots underneath bring listen, backlog and holders events and catch up after lost events.</summary>
    private static readonly TimeSpan EbpfResync = TimeSpan.FromSeconds(5);

    public static Command Build()
    {
        var command = new Command("watch", "Print Unix socket connections as they come and go (connect, accept, close, listen, backlog, holders), with the processes at both ends. "
            + PollingLimit);
        _source.AcceptOnlyFromAmong([.. SockPeer.Ebpf.EventSources.Names]);
        foreach (var o in (Option[])[_interval, _count, _duration, _initial, _source])
        {
            command.Options.Add(o);
        }
        command.SetAction(Run);
        return command;
    }

    private static int? ParseCount(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            return n;
        }
        result.AddError($"--count needs a positive number, not '{SocketName.Escape(text)}'");
        return null;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "watch", GlobalOptions.Table);
        var socketFilter = FilterOptions.Build(parse);
        var filter = new SocketEventFilter(socketFilter);
        var interval = parse.GetValue(_interval) ?? TimeSpan.FromSeconds(1);
        int? count = parse.GetValue(_count);
        bool asJson = GlobalOptions.AsJson(parse);

        using var stop = new CancellationTokenSource();
        // SIGINT and SIGTERM end the watch at once, with exit 0: stopping is how a watch is meant to end.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        if (parse.GetValue(_duration) is TimeSpan duration)
        {
            stop.CancelAfter(duration);
        }

        var stdout = new FileDescriptorStream(1);
        var buffer = new ArrayBufferWriter<byte>(FlushAt + 4096);
        var renderer = new WatchRenderer(Terminal.Detect());
        var reader = new SocketInventoryReader(Snapshot.ReaderOptions(parse, manySnapshots: true));
        var mode = SockPeer.Ebpf.EventSources.Parse(parse.GetValue(_source));
        using ISocketEventSource source = SockPeer.Ebpf.EventSources.Open(reader, mode, interval, parse.GetValue(_interval) ?? EbpfResync, socketFilter, out string? noEbpf)
            ?? throw new CliException($"the eBPF event source cannot run here: {noEbpf}");
        var kernel = source as SockPeer.Ebpf.EbpfEventSource;
        var started = DateTimeOffset.UtcNow;
        var first = source.Start(stop.Token);
        int emitted = 0;

        bool Emit(SocketEvent e)
        {
            if (!filter.Matches(e))
            {
                return false;
            }
            // Lines gather in the buffer and go out in one write per batch (Flush): a write per line was a
            // fifth of an unfiltered watcher's CPU on a busy host.
            if (asJson)
            {
                SocketEventJsonWriter.WriteLine(buffer, e);
            }
            else
            {
                renderer.WriteLine(e, buffer);
            }
            if (buffer.WrittenCount >= FlushAt)
            {
                Flush();
            }
            // --count counts what happened after the start: not the initial state, not warnings.
            return e.Kind is not (SocketEventKind.Warning or SocketEventKind.Exists) && count is int n && ++emitted >= n;
        }

        void Flush()
        {
            if (buffer.WrittenCount > 0)
            {
                stdout.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }

        if (asJson && noEbpf is not null)
        {
            Emit(new SocketEvent(SocketEventKind.Warning, DateTimeOffset.UtcNow)
            {
                Code = "ebpf_unavailable",
                Message = $"polling, because the eBPF event source cannot run here: {noEbpf}",
            });
            Flush();
        }
        if (parse.GetValue(_initial))
        {
            foreach (var e in SocketEvents.Existing(first, started, source.Name))
            {
                if (Emit(e))
                {
                    Flush();
                    return ReturnCode.Ok;
                }
            }
            Flush();
        }
        else if (!asJson && kernel is not null)
        {
            WriteText(stdout, $"watching {filter.Count(first)} socket(s) of {first.Sockets.Count}: every connect, accept and close from the kernel (eBPF), "
                + $"with a snapshot every {Durations.Format(kernel.ResyncInterval)}; Ctrl-C to stop");
        }
        else if (!asJson)
        {
            WriteText(stdout, $"watching {filter.Count(first)} socket(s) of {first.Sockets.Count}, a snapshot every {Durations.Format(interval)} "
                + "(a connection that opens and closes within one interval is not seen)"
                + (noEbpf is null ? "" : $"; polling because eBPF is unavailable: {noEbpf}") + "; Ctrl-C to stop");
        }
        while (!stop.IsCancellationRequested)
        {
            foreach (var e in source.Next(stop.Token))
            {
                if (Emit(e))
                {
                    Flush();
                    return ReturnCode.Ok;
                }
            }
            Flush(); // a batch is what the source had: its lines go out now, not at the next batch
            if (FileDescriptorStream.ReaderGone(1))
            {
                return ReturnCode.Ok; // the reader went away while nothing was written (| head, | true)
            }
        }
        return ReturnCode.Ok;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    });

    private static void WriteText(Stream stdout, string line)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        stdout.Write(bytes);
    }

    /// <summary>Lines gathered up to about this many bytes are written at once, also within a batch.</summary>
    private const int FlushAt = 64 * 1024;
}
