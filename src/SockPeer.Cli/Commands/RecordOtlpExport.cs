using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using SockPeer.Events;
using SockPeer.Json;

namespace SockPeer.Cli.Commands;

/// <summary>
/// record's <c>--otlp-endpoint</c>: each stored event's watch line goes down a pipe to
/// <c>sockpeer-serve __export-events-otlp</c>, which holds OpenTelemetry's SDK (linked here, it made
/// every command start 5 ms slower). <see cref="Send"/> never blocks the recorder: lines wait in a
/// bounded queue written by a thread of their own, and what does not fit is counted and warned of.
/// The exporter's own warnings and its final counts reach stderr directly.
/// </summary>
internal sealed class RecordOtlpExport : IDisposable
{
    private const int QueueCapacity = 16384;
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(60); // the exporter's timeout and interval, with room

    private readonly Process _child;
    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait, // TryWrite says false when full: counted
        SingleReader = true,
    });
    private readonly Thread _writer;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private long _dropped;
    private int _disposed;

    private RecordOtlpExport(Process child)
    {
        _child = child;
        _writer = new Thread(Write) { IsBackground = true, Name = "sockpeer-otlp-pipe" };
        _writer.Start();
    }

    /// <summary>Starts the exporter next to this binary.</summary>
    public static RecordOtlpExport Start(Uri endpoint, string protocol)
    {
        string path = Path.Combine(AppContext.BaseDirectory, ServeCommand.Executable);
        if (!File.Exists(path))
        {
            throw new CliException($"--otlp-endpoint needs {path}, which exports the events: not found (dotnet publish src/SockPeer.Cli puts it next to sockpeer)");
        }
        var info = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("__export-events-otlp");
        info.ArgumentList.Add(endpoint.ToString());
        info.ArgumentList.Add(protocol);
        try
        {
            return new RecordOtlpExport(Process.Start(info) ?? throw new CliException($"cannot start {path}"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException($"cannot start {path}: {e.Message}");
        }
    }

    /// <summary>Queues the event's line for the exporter; never blocks.</summary>
    public void Send(SocketEvent e)
    {
        _buffer.ResetWrittenCount();
        SocketEventJsonWriter.WriteLine(_buffer, e);
        if (!_lines.Writer.TryWrite(_buffer.WrittenSpan.ToArray()))
        {
            Interlocked.Increment(ref _dropped); // the writer thread counts too, when the exporter has stopped
        }
    }

    private void Write()
    {
        var stdin = _child.StandardInput.BaseStream;
        var reader = _lines.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var line))
                {
                    stdin.Write(line);
                }
                stdin.Flush();
            }
        }
        catch (IOException)
        {
            Output.Error($"sockpeer: warning: the OTLP exporter ({ServeCommand.Executable}, pid {_child.Id}) stopped: events are no longer exported");
            while (reader.TryRead(out _))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>Closes the pipe and waits for the exporter to send what it holds and print its counts.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _lines.Writer.TryComplete();
        _writer.Join();
        try
        {
            _child.StandardInput.Close();
        }
        catch (IOException)
        {
            // already gone: said by the writer
        }
        if (!_child.WaitForExit(ExitWait))
        {
            Output.Error($"sockpeer: warning: the OTLP exporter (pid {_child.Id}) did not finish within {ExitWait.TotalSeconds:0} s; stopped");
            _child.Kill();
        }
        if (Interlocked.Read(ref _dropped) is var dropped and > 0)
        {
            Output.Error($"sockpeer: warning: {dropped} event(s) were not handed to the OTLP exporter (its queue of {QueueCapacity} was full, or it had stopped)");
        }
        _child.Dispose();
    }
}
