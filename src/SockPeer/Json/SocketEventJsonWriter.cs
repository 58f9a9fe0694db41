using System.Buffers;
using System.Text.Json;
using SockPeer.Events;
using SockPeer.Model;

namespace SockPeer.Json;

/// <summary>
/// Writes one <see cref="SocketEvent"/> as one line of JSON (schema 1, the <c>watchEvent</c> definition
/// of docs/sockpeer.schema.json): socket and process objects come from <see cref="SchemaJsonWriter"/>,
/// so they are the same as in <c>sockpeer list --json</c>.
/// </summary>
public static class SocketEventJsonWriter
{
    /// <summary>Appends the event and a newline to <paramref name="output"/>.</summary>
    public static void WriteLine(IBufferWriter<byte> output, SocketEvent e) => WriteLine(output, e, compact: false);

    /// <summary>
    /// Appends the event and a newline to <paramref name="output"/>; <paramref name="compact"/> leaves out
    /// every field that is null, false or an empty list (the journal's form: half the bytes), which
    /// <see cref="SocketEventJsonReader"/> reads back as those values, so its event writes the full line again.
    /// </summary>
    public static void WriteLine(IBufferWriter<byte> output, SocketEvent e, bool compact)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(e);
        // One writer per thread, reset onto each output: an unfiltered watcher writes tens of thousands of lines a second.
        var w = t_writer ??= new Utf8JsonWriter(output, SchemaJsonWriter.WriterOptions);
        w.Reset(output); // also clears what a write that threw left behind
        Write(w, e, compact);
        w.Flush();
        output.Write("\n"u8);
    }

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // The last socket name written on this thread, encoded once: an event's peer and listener carry the
    // same name, and a busy host's events mostly name one listener.
    [ThreadStatic]
    private static SchemaJsonWriter.NameCache? t_names;

    /// <summary>Writes the event object.</summary>
    public static void Write(Utf8JsonWriter w, SocketEvent e) => Write(w, e, compact: false);

    private static void Write(Utf8JsonWriter w, SocketEvent e, bool compact)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        var f = new OptionalFields(w, compact);
        w.WriteStartObject();
        w.WriteNumber(Names.Schema, SchemaJsonWriter.SchemaVersion);
        Span<byte> time = stackalloc byte[TimeLength];
        w.WriteString(Names.Time, Time(e.Time, time));
        w.WriteString(Names.Event, e.Kind.ToText());
        w.WriteString(Names.Source, e.Source);
        if (e.Kind == SocketEventKind.Warning)
        {
            w.WriteString("message", e.Message ?? "");
            w.WriteString("code", e.Code);
            w.WriteEndObject();
            return;
        }
        var names = t_names ??= new SchemaJsonWriter.NameCache();
        Socket(w, Names.Socket, e.Socket, names, f);
        Socket(w, Names.Peer, e.Peer, names, f);
        Socket(w, Names.Listener, e.Listener, names, f);
        if (f.Writes(e.Processes.Count))
        {
            w.WriteStartArray(Names.Processes);
            for (int i = 0; i < e.Processes.Count; i++) // indexed: foreach over the interface allocates an enumerator per event
            {
                SchemaJsonWriter.WriteProcess(w, e.Processes[i], compact);
            }
            w.WriteEndArray();
        }
        if (e.ObservedFor is { } observed)
        {
            w.WriteNumber(Names.ObservedFor, Math.Round(observed.TotalSeconds, 3));
        }
        else
        {
            f.Null(Names.ObservedFor);
        }
        if (e.Backlog is { } b)
        {
            w.WriteStartObject("backlog");
            w.WriteNumber("pending", b.Pending);
            w.WriteNumber("limit", b.Limit);
            w.WriteBoolean("full", b.Full);
            w.WriteEndObject();
        }
        else
        {
            f.Null(Names.Backlog);
        }
        if (e.Kind == SocketEventKind.Holders)
        {
            w.WriteStartObject("holders");
            Holders(w, "gained", e.HoldersGained);
            Holders(w, "lost", e.HoldersLost);
            w.WriteEndObject();
        }
        else
        {
            f.Null(Names.Holders);
        }
        w.WriteEndObject();
    }

    private const int TimeLength = 24;

    /// <summary>
    /// UTC with milliseconds, <c>2026-12-01T10:00:00.123Z</c> (as the format <c>yyyy-MM-dd'T'HH:mm:ss.fff'Z'</c>
    /// gives it), in <paramref name="into"/> (24 bytes), without a format string to parse per event.
    /// </summary>
    internal static ReadOnlySpan<byte> Time(DateTimeOffset time, Span<byte> into)
    {
        var t = time.UtcDateTime;
        Digits(into[..4], t.Year);
        into[4] = (byte)'-';
        Digits(into.Slice(5, 2), t.Month);
        into[7] = (byte)'-';
        Digits(into.Slice(8, 2), t.Day);
        into[10] = (byte)'T';
        Digits(into.Slice(11, 2), t.Hour);
        into[13] = (byte)':';
        Digits(into.Slice(14, 2), t.Minute);
        into[16] = (byte)':';
        Digits(into.Slice(17, 2), t.Second);
        into[19] = (byte)'.';
        Digits(into.Slice(20, 3), t.Millisecond);
        into[23] = (byte)'Z';
        return into[..TimeLength];
    }

    private static void Digits(Span<byte> into, int value)
    {
        for (int i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private static void Socket(Utf8JsonWriter w, JsonEncodedText name, UnixSocket? s, SchemaJsonWriter.NameCache names, OptionalFields f)
    {
        if (s is null)
        {
            f.Null(name);
            return;
        }
        w.WritePropertyName(name);
        SchemaJsonWriter.WriteSocket(w, s, names, f.Compact);
    }

    /// <summary>Property names encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Backlog = JsonEncodedText.Encode("backlog");
        public static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
        public static readonly JsonEncodedText Holders = JsonEncodedText.Encode("holders");
        public static readonly JsonEncodedText Listener = JsonEncodedText.Encode("listener");
        public static readonly JsonEncodedText ObservedFor = JsonEncodedText.Encode("observedFor");
        public static readonly JsonEncodedText Peer = JsonEncodedText.Encode("peer");
        public static readonly JsonEncodedText Processes = JsonEncodedText.Encode("processes");
        public static readonly JsonEncodedText Schema = JsonEncodedText.Encode("schema");
        public static readonly JsonEncodedText Socket = JsonEncodedText.Encode("socket");
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
    }

    private static void Holders(Utf8JsonWriter w, string name, IReadOnlyList<SocketHolder> holders)
    {
        w.WriteStartArray(name);
        for (int i = 0; i < holders.Count; i++)
        {
            var h = holders[i];
            w.WriteStartObject();
            w.WriteNumber("pid", h.Pid);
            w.WriteNumber("fd", h.Fd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
