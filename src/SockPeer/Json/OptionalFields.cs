using System.Text.Json;

namespace SockPeer.Json;

/// <summary>
/// The fields of a socket, process or event object that may be null, false or an empty list, written in
/// one of two forms: full (every field, as the schema gives it: what <c>list --json</c> and <c>watch
/// --json</c> print) or compact (such fields left out: what the journal stores). A field left out is
/// exactly what <see cref="SocketEventJsonReader"/> gives a field that is absent, so reading a compact
/// line and writing it again in full gives back the full line.
/// </summary>
internal readonly struct OptionalFields(Utf8JsonWriter w, bool compact)
{
    public bool Compact => compact;

    public void Null(JsonEncodedText name)
    {
        if (!compact)
        {
            w.WriteNull(name);
        }
    }

    public void Boolean(JsonEncodedText name, bool value)
    {
        if (value || !compact)
        {
            w.WriteBoolean(name, value);
        }
    }

    public void Number(JsonEncodedText name, ulong? value)
    {
        if (value is not null || !compact)
        {
            NullableJson.WriteNullable(w, name, value);
        }
    }

    public void String(JsonEncodedText name, string? value)
    {
        if (value is not null || !compact)
        {
            NullableJson.WriteStringOrNull(w, name, value);
        }
    }

    public void Inodes(JsonEncodedText name, IReadOnlyList<uint> inodes)
    {
        if (inodes.Count == 0 && compact)
        {
            return;
        }
        w.WriteStartArray(name);
        for (int i = 0; i < inodes.Count; i++) // indexed: foreach over the interface allocates an enumerator
        {
            w.WriteNumberValue(inodes[i]);
        }
        w.WriteEndArray();
    }

    /// <summary>Whether an array of <paramref name="count"/> items is written at all.</summary>
    public bool Writes(int count) => count > 0 || !compact;
}
