using System.Buffers.Binary;
using System.Text.Json;

namespace SockPeer.Tests.Netlink;

/// <summary>
/// A captured sock_diag dump (Fixtures/diag-dump-*.bin, written by capture_diag.py): "SPDG", u32
/// version 1, u32 count, then count × (u32 length, datagram). The .json sidecar holds the request
/// that was sent and the sockets the capture made, with the values their records carry.
/// </summary>
internal sealed class DiagFixture
{
    public required string Name { get; init; }
    public required IReadOnlyList<byte[]> Datagrams { get; init; }
    public required JsonElement Sidecar { get; init; }

    public uint Sequence => Sidecar.GetProperty("sequence").GetUInt32();
    public uint States => Sidecar.GetProperty("states").GetUInt32();
    public uint Show => Sidecar.GetProperty("show").GetUInt32();
    public string RequestHex => Sidecar.GetProperty("request_hex").GetString()!;
    public IEnumerable<(string Role, JsonElement Socket)> Sockets
        => Sidecar.GetProperty("sockets").EnumerateObject().Select(p => (p.Name, p.Value));

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    public static DiagFixture Load(string name)
    {
        byte[] bin = File.ReadAllBytes(PathOf(name + ".bin"));
        using var json = JsonDocument.Parse(File.ReadAllBytes(PathOf(name + ".json")));
        return new DiagFixture { Name = name, Datagrams = ReadFraming(bin), Sidecar = json.RootElement.Clone() };
    }

    public static List<byte[]> ReadFraming(ReadOnlySpan<byte> bin)
    {
        if (bin.Length < 12 || !bin[..4].SequenceEqual("SPDG"u8) || BinaryPrimitives.ReadUInt32LittleEndian(bin[4..]) != 1)
        {
            throw new InvalidDataException("not an SPDG version 1 fixture");
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bin[8..]);
        var datagrams = new List<byte[]>();
        int offset = 12;
        for (uint i = 0; i < count; i++)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bin[offset..]));
            offset += 4;
            datagrams.Add(bin.Slice(offset, length).ToArray());
            offset += length;
        }
        if (offset != bin.Length)
        {
            throw new InvalidDataException($"{bin.Length - offset} bytes after the last datagram");
        }
        return datagrams;
    }
}
