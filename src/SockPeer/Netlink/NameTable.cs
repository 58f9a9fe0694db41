using SockPeer.Model;

namespace SockPeer.Netlink;

/// <summary>
/// One array per distinct socket name within a dump: every server end accepted from a listener
/// carries the listener's name, so a daemon with 10,000 connections has 10,000 equal names (on
/// population A 0.6 MiB of copies, and a cache keyed by name that compared bytes 10,000 times).
/// Name arrays are never written after parsing, so sharing them is safe.
/// </summary>
internal sealed class NameTable
{
    private readonly HashSet<byte[]?> _names = new(NameBytesComparer.Instance);

    /// <summary>The array holding <paramref name="name"/>'s bytes: the one made before for the same bytes, or a new one.</summary>
    public byte[] Intern(ReadOnlySpan<byte> name)
    {
        var lookup = _names.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(name, out byte[]? same) || same is null)
        {
            same = name.ToArray();
            _names.Add(same);
        }
        return same;
    }
}
