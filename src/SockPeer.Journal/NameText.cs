using SockPeer.Model;

namespace SockPeer.Journal;

/// <summary>
/// The display text of the last name seen, made again only when the name changes: a recorder's events
/// mostly name the same few listeners, and a new string per event was a tenth of its allocations.
/// </summary>
internal sealed class NameText
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
        if (_bytes is null || !_bytes.AsSpan().SequenceEqual(name))
        {
            _bytes = name;
            _text = SocketName.Display(name);
        }
        return _text;
    }
}
