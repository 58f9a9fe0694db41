using System.Text.Json;
using SockPeer.Json;
using Xunit;

namespace SockPeer.Tests.Json;

/// <summary>The file mode's JSON text, formatted on the stack, against the rule the schema states (a 0, then at least three octal digits).</summary>
public sealed class ModeTextTests
{
    [Fact]
    public void Every_mode_is_a_zero_then_its_octal_digits_at_least_three()
    {
        for (int mode = 0; mode <= 0xFFFF; mode++)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                SchemaJsonWriter.WriteMode(w, "mode", (ushort)mode);
                w.WriteEndObject();
            }
            string text = JsonDocument.Parse(stream.ToArray()).RootElement.GetProperty("mode").GetString()!;
            Assert.Equal("0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0'), text);
        }
    }
}
