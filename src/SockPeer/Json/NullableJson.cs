using System.Text.Json;

namespace SockPeer.Json;

/// <summary>A property that is a value or JSON null, for every writer of the schema-1 documents.</summary>
internal static class NullableJson
{
    public static void WriteStringOrNull(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    public static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value) => WriteStringOrNull(w, JsonEncodedText.Encode(name), value);

    public static void WriteNullable(Utf8JsonWriter w, JsonEncodedText name, ulong? value)
    {
        if (value is ulong v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, ulong? value) => WriteNullable(w, JsonEncodedText.Encode(name), value);
}
