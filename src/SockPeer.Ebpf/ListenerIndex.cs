using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Ebpf;

/// <summary>
/// The listeners of one snapshot by name, to join a kernel event (which carries the listener's name,
/// not its inode) with the snapshot: a path reaches a listener in any network namespace, preferring
/// the event's own; an abstract name only one in the event's namespace. Rebuilt when the snapshot changes.
/// </summary>
public sealed class ListenerIndex
{
    private SocketInventory? _indexed;
    private readonly Dictionary<string, List<UnixSocket>> _byName = new(StringComparer.Ordinal);

    /// <summary>The listener named <paramref name="name"/> (raw bytes) that a client in <paramref name="netNs"/> reached, in <paramref name="snapshot"/>; null when none.</summary>
    public UnixSocket? Find(SocketInventory snapshot, byte[]? name, ulong netNs)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (name is not { Length: > 0 })
        {
            return null;
        }
        if (!ReferenceEquals(snapshot, _indexed))
        {
            _byName.Clear();
            foreach (var s in snapshot.Sockets)
            {
                if (s.State == UnixSocketState.Listening && s.NameBytes is { Length: > 0 } n)
                {
                    string key = System.Text.Encoding.Latin1.GetString(n);
                    if (!_byName.TryGetValue(key, out var list))
                    {
                        _byName[key] = list = [];
                    }
                    list.Add(s);
                }
            }
            _indexed = snapshot;
        }
        // Looked up by a span, not a new string: this runs once or twice per kernel event.
        Span<char> text = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        System.Text.Encoding.Latin1.GetChars(name, text);
        if (!_byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var candidates))
        {
            return null;
        }
        foreach (var s in candidates)
        {
            if (s.NetNs == netNs)
            {
                return s;
            }
        }
        return name[0] != 0 ? candidates[0] : null;
    }
}
