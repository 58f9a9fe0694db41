using System.Buffers;
using System.Text.Json;
using SockPeer.Events;
using SockPeer.Json;

namespace SockPeer.Otlp;

/// <summary>
/// The attributes of an event's log record, read from the event's watch JSON line as
/// <see cref="SocketEventJsonWriter"/> writes it, so that the record and <c>sockpeer watch --json</c>
/// have one set of names and one writer decides them. Flattened for OTLP, whose attributes are flat:
/// a nested object's fields are joined with dots (<c>socket.file.inode</c>); an array of numbers,
/// strings or booleans stays an array (<c>socket.pending</c>, <c>processes.0.cmdline</c>); an array
/// of objects is indexed (<c>processes.0.pid</c>, <c>socket.holders.1.fd</c>); a null field is left
/// out (OTLP has no null: an absent attribute is the unknown value). Numbers without a fraction or
/// exponent are integers (<see cref="long"/>), the others <see cref="double"/>; an integer past
/// <see cref="long"/> stays text.
/// </summary>
public static class EventAttributes
{
    /// <summary>The attributes of <paramref name="e"/>, in the order of its JSON line.</summary>
    public static List<KeyValuePair<string, object?>> Of(SocketEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var line = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(line))
        {
            SocketEventJsonWriter.Write(w, e);
        }
        return FromJson(line.WrittenSpan);
    }

    /// <summary>The flattened attributes of one JSON object (an event line, with or without its newline).</summary>
    public static List<KeyValuePair<string, object?>> FromJson(ReadOnlySpan<byte> json)
    {
        var attributes = new List<KeyValuePair<string, object?>>(64);
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("an event line is a JSON object");
        }
        Object(ref reader, "", attributes);
        return attributes;
    }

    /// <summary>The fields of the object whose start the reader is on, each named <paramref name="prefix"/> + its name.</summary>
    private static void Object(ref Utf8JsonReader reader, string prefix, List<KeyValuePair<string, object?>> into)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = prefix + reader.GetString();
            reader.Read();
            Value(ref reader, name, into);
        }
    }

    private static void Value(ref Utf8JsonReader reader, string name, List<KeyValuePair<string, object?>> into)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                Object(ref reader, name + ".", into);
                break;
            case JsonTokenType.StartArray:
                Array(ref reader, name, into);
                break;
            case JsonTokenType.Null:
                break;
            default:
                into.Add(new(name, Scalar(ref reader)));
                break;
        }
    }

    /// <summary>
    /// An array of scalars as one typed array; any other as one attribute per element, named by index.
    /// Read twice (a copy of the reader is a bookmark): once to see the elements' kinds, once to take them.
    /// </summary>
    private static void Array(ref Utf8JsonReader reader, string name, List<KeyValuePair<string, object?>> into)
    {
        var peek = reader;
        bool scalars = true, numbers = true, strings = true, booleans = true;
        while (peek.Read() && peek.TokenType != JsonTokenType.EndArray)
        {
            switch (peek.TokenType)
            {
                case JsonTokenType.Number:
                    strings = booleans = false;
                    numbers &= IsInteger(ref peek);
                    break;
                case JsonTokenType.String:
                    numbers = booleans = false;
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    numbers = strings = false;
                    break;
                default:
                    scalars = false;
                    peek.Skip();
                    break;
            }
        }
        if (scalars && (numbers || strings || booleans))
        {
            var longs = new List<long>();
            var texts = new List<string>();
            var flags = new List<bool>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (numbers)
                {
                    longs.Add(reader.GetInt64());
                }
                else if (strings)
                {
                    texts.Add(reader.GetString()!);
                }
                else
                {
                    flags.Add(reader.GetBoolean());
                }
            }
            // An empty array is a number array: the schema's empty arrays (pending, clients) hold inodes.
            into.Add(new(name, strings && !numbers ? texts.ToArray() : booleans && !numbers ? flags.ToArray() : longs.ToArray()));
            return;
        }
        int index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Value(ref reader, $"{name}.{index++}", into);
        }
    }

    private static object Scalar(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Number when IsInteger(ref reader) => reader.GetInt64(),
        JsonTokenType.Number when !HasFraction(ref reader) => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Number => reader.GetDouble(),
        _ => throw new JsonException($"unexpected {reader.TokenType} in an event line"),
    };

    private static bool IsInteger(ref Utf8JsonReader reader) => !HasFraction(ref reader) && reader.TryGetInt64(out _);

    private static bool HasFraction(ref Utf8JsonReader reader) => reader.ValueSpan.IndexOfAny(".eE"u8) >= 0;
}
