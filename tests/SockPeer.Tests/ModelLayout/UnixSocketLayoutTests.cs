using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.ModelLayout;

/// <summary>
/// <see cref="UnixSocket"/> keeps its optional numbers as a value and a bit, its flags as bits and its
/// enums as bytes (a snapshot holds one per socket). Each property must still read, compare and copy
/// as the auto-property it stands for: set alone, set together, cleared by <c>with</c>.
/// </summary>
public class UnixSocketLayoutTests
{
    private static UnixSocket Bare() => new() { Inode = 1, Type = UnixSocketType.Stream, Role = SocketRole.Unconnected, State = UnixSocketState.Unconnected };

    // Every optional number and flag, with a setter that sets it alone and a getter.
    private static readonly string[] Names = ["NetNs", "Peer", "Listener", "PendingOn", "PendingCount", "Backlog", "Uid", "InFlightOn"];

    public static TheoryData<string> Optionals => new(Names);

    private static UnixSocket SetOptional(UnixSocket s, string name, ulong? v) => name switch
    {
        "NetNs" => s with { NetNs = v },
        "Peer" => s with { Peer = (uint?)v },
        "Listener" => s with { Listener = (uint?)v },
        "PendingOn" => s with { PendingOn = (uint?)v },
        "PendingCount" => s with { PendingCount = (uint?)v },
        "Backlog" => s with { Backlog = (uint?)v },
        "Uid" => s with { Uid = (uint?)v },
        "InFlightOn" => s with { InFlightOn = (uint?)v },
        _ => throw new ArgumentException(name),
    };

    private static ulong?[] Optional(UnixSocket s) => [s.NetNs, s.Peer, s.Listener, s.PendingOn, s.PendingCount, s.Backlog, s.Uid, s.InFlightOn];

    private static bool[] Flags(UnixSocket s) => [s.AwaitingAccept, s.PendingPartial, s.IsSocketPair, s.InFlight, s.PeerMended];

    [Theory]
    [MemberData(nameof(Optionals))]
    public void An_optional_number_is_null_zero_or_a_value_on_its_own(string name)
    {
        int at = Array.IndexOf(Names, name);
        var bare = Bare();
        Assert.All(Optional(bare), Assert.Null);

        foreach (ulong value in new ulong[] { 0, 7, uint.MaxValue })
        {
            var set = SetOptional(bare, name, value);
            ulong?[] expected = new ulong?[8];
            expected[at] = value;
            Assert.Equal(expected, Optional(set));
            // Zero is a value, not "unknown": a peer 0 (closed) differs from no peer.
            Assert.NotEqual(bare, set);
            Assert.Equal(set, SetOptional(bare, name, value));
            Assert.Equal(bare, SetOptional(set, name, null));
            Assert.Null(Optional(SetOptional(set, name, null))[at]);
        }
    }

    [Fact]
    public void Every_optional_number_and_flag_is_kept_apart_from_the_others()
    {
        var all = Bare() with
        {
            NetNs = 4026531840UL + uint.MaxValue,
            Peer = 11,
            Listener = 12,
            PendingOn = 13,
            PendingCount = 14,
            Backlog = 15,
            Uid = 16,
            InFlightOn = 17,
            AwaitingAccept = true,
            PendingPartial = true,
            IsSocketPair = true,
            InFlight = true,
            PeerMended = true,
        };
        Assert.Equal([4026531840UL + uint.MaxValue, 11UL, 12UL, 13UL, 14UL, 15UL, 16UL, 17UL], Optional(all));
        Assert.Equal([true, true, true, true, true], Flags(all));

        // Clearing one leaves every other as it was.
        for (int i = 0; i < Names.Length; i++)
        {
            string name = Names[i];
            var cleared = SetOptional(all, name, null);
            var expected = Optional(all);
            expected[i] = null;
            Assert.Equal(expected, Optional(cleared));
            Assert.Equal([true, true, true, true, true], Flags(cleared));
        }
        var flagsOff = all with { AwaitingAccept = false, InFlight = false };
        Assert.Equal([false, true, true, false, true], Flags(flagsOff));
        Assert.Equal(Optional(all), Optional(flagsOff));
    }

    [Fact]
    public void Enums_and_plain_numbers_read_back_as_set()
    {
        foreach (var type in Enum.GetValues<UnixSocketType>())
        {
            foreach (var role in Enum.GetValues<SocketRole>())
            {
                foreach (var state in Enum.GetValues<UnixSocketState>())
                {
                    foreach (var shutdown in Enum.GetValues<ShutdownState>())
                    {
                        var s = new UnixSocket { Inode = uint.MaxValue, Type = type, Role = role, State = state, Shutdown = shutdown, Cookie = ulong.MaxValue, RecvQueue = 5, SendQueue = 6 };
                        Assert.Equal((type, role, state, shutdown), (s.Type, s.Role, s.State, s.Shutdown));
                        Assert.Equal((uint.MaxValue, ulong.MaxValue, 5u, 6u), (s.Inode, s.Cookie, s.RecvQueue, s.SendQueue));
                    }
                }
            }
        }
    }

    [Fact]
    public void A_listener_reads_as_full_only_past_its_backlog()
    {
        var listener = Bare() with { Role = SocketRole.Listener, State = UnixSocketState.Listening, Backlog = 2 };
        Assert.False(listener.BacklogFull); // no count
        Assert.False((listener with { PendingCount = 2 }).BacklogFull);
        Assert.True((listener with { PendingCount = 3 }).BacklogFull);
        Assert.False((listener with { PendingCount = 3, Backlog = null }).BacklogFull);
    }
}
