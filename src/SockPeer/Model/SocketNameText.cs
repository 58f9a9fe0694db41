namespace SockPeer.Model;

/// <summary>
/// The display text of the last socket name seen, made again only when the name changes: a stream of
/// events (a watcher's lines, a recorder's rows) mostly names the same few listeners, and a new string
/// per event was a tenth of a recorder's allocations. One per thread: it is not synchronized.
/// </summary>
public sealed class SocketNameText
{
    private byte[]? _bytes;
    private string? _text;

    /// <summary><see cref="SocketName.Display"/> of <paramref name="name"/>; null for none.</summary>
    public string? Of(byte[]? name)
    {
        if (name is null)
        {
            return null;
        }
        if (!ReferenceEquals(_bytes, name) && (_bytes is null || !_bytes.AsSpan().SequenceEqual(name)))
        {
            _bytes = name;
            _text = SocketName.Display(name);
        }
        return _text;
    }
}
