using System.Buffers;
using System.Globalization;
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
    public static void WriteLine(IBufferWriter<byte> output, SocketEvent e)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(e);
        using (var w = new Utf8JsonWriter(output, SchemaJsonWriter.WriterOptions))
        {
            Write(w, e);
        }
        output.Write("\n"u8);
    }

    /// <summary>Writes the event object.</summary>
    public static void Write(Utf8JsonWriter w, SocketEvent e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject();
        w.WriteNumber("schema", SchemaJsonWriter.SchemaVersion);
        w.WriteString("time", Time(e.Time));
        w.WriteString("event", e.Kind.ToText());
        w.WriteString("source", e.Source);
        if (e.Kind == SocketEventKind.Warning)
        {
            w.WriteString("message", e.Message ?? "");
            w.WriteString("code", e.Code);
            w.WriteEndObject();
            return;
        }
        Socket(w, "socket", e.Socket);
        Socket(w, "peer", e.Peer);
        Socket(w, "listener", e.Listener);
        w.WriteStartArray("processes");
        foreach (var p in e.Processes)
        {
            SchemaJsonWriter.WriteProcess(w, p);
        }
        w.WriteEndArray();
        if (e.ObservedFor is { } observed)
        {
            w.WriteNumber("observedFor", Math.Round(observed.TotalSeconds, 3));
        }
        else
        {
            w.WriteNull("observedFor");
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
            w.WriteNull("backlog");
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
            w.WriteNull("holders");
        }
        w.WriteEndObject();
    }

    /// <summary>UTC with milliseconds: <c>2026-12-01T10:00:00.123Z</c>.</summary>
    internal static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Socket(Utf8JsonWriter w, string name, UnixSocket? s)
    {
        w.WritePropertyName(name);
        if (s is null)
        {
            w.WriteNullValue();
        }
        else
        {
            SchemaJsonWriter.WriteSocket(w, s);
        }
    }

    private static void Holders(Utf8JsonWriter w, string name, IReadOnlyList<SocketHolder> holders)
    {
        w.WriteStartArray(name);
        foreach (var h in holders)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", h.Pid);
            w.WriteNumber("fd", h.Fd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
