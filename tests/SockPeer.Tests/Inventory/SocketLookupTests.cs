using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Views;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// A snapshot finds a socket by inode by halves when its sockets come ordered by inode (as the reader
/// makes them), and through a dictionary when a caller gives them in any other order.
/// </summary>
public class SocketLookupTests
{
    [Fact]
    public void Every_socket_of_an_inode_ordered_snapshot_is_found_and_no_other()
    {
        var built = HandBuiltSnapshot.Build();
        Assert.True(built.Sockets.Zip(built.Sockets.Skip(1)).All(p => p.First.Inode < p.Second.Inode), "the hand-built snapshot is ordered by inode");
        AssertFinds(built.Sockets);
    }

    [Fact]
    public void Sockets_in_another_order_are_found_all_the_same()
    {
        var built = HandBuiltSnapshot.Build();
        AssertFinds([.. built.Sockets.Reverse()]);
        AssertFinds([.. built.Sockets.Skip(1), built.Sockets[0]]); // ordered but for the last
    }

    private static void AssertFinds(IReadOnlyList<UnixSocket> sockets)
    {
        var inventory = new SocketInventory(sockets, [], [], peersKnown: true);
        foreach (var s in sockets)
        {
            Assert.Same(s, inventory.Find(s.Inode));
        }
        var known = sockets.Select(s => s.Inode).ToHashSet();
        foreach (uint absent in new uint[] { 0, 1, sockets.Min(s => s.Inode) - 1, sockets.Max(s => s.Inode) + 1, uint.MaxValue })
        {
            if (!known.Contains(absent))
            {
                Assert.Null(inventory.Find(absent));
            }
        }
        // Between two known inodes.
        var ordered = sockets.Select(s => s.Inode).Order().ToArray();
        for (int i = 1; i < ordered.Length; i++)
        {
            if (ordered[i] - ordered[i - 1] > 1)
            {
                Assert.Null(inventory.Find(ordered[i] - 1));
            }
        }
    }
}
