using System.Text.Json;
using SockPeer.Json;
using Xunit;

namespace SockPeer.Tests.Json;

/// <summary>The socket file's mode and device texts, formatted on the stack, against the rules the schema states.</summary>
public sealed class FileTextTests
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

    [Theory]
    [InlineData(0u, 0u)]
    [InlineData(8u, 1u)]
    [InlineData(259u, 65539u)]
    [InlineData(uint.MaxValue, uint.MaxValue)]
    public void The_device_is_major_colon_minor_in_decimal(uint major, uint minor)
    {
        var file = new SockPeer.Model.SocketFile(major, minor, 1, SockPeer.Model.SocketFileStatus.Ok);
        string expected = major.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + minor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, file.Device);
        Span<byte> ascii = stackalloc byte[SockPeer.Model.SocketFile.DeviceMaxLength];
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(ascii[..file.FormatDevice(ascii)]));
    }
}
