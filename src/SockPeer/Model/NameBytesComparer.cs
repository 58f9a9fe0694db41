namespace SockPeer.Model;

/// <summary>
/// Equality of socket names by their bytes (a name is exact bytes: an abstract name's NULs count),
/// with a lookup by span so that a name can be found before an array is made for it. The one rule
/// for "the same name" wherever names are keys: the dump's table of names, the socket-file check.
/// </summary>
internal sealed class NameBytesComparer : IEqualityComparer<byte[]?>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]?>
{
    public static readonly NameBytesComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[]? name) => GetHashCode((ReadOnlySpan<byte>)name);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[]? other) => other is not null && alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[]? Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
