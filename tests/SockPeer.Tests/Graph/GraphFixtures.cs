using System.Text;
using SockPeer.Inventory;
using SockPeer.Joining;
using SockPeer.Model;
using SockPeer.Proc;

namespace SockPeer.Tests.Graph;

/// <summary>
/// A hand-built snapshot with every kind of edge and the names that break naive writers: quotes,
/// backslashes, a newline and HTML in a command, a path that is not UTF-8, an abstract name with
/// NULs and '@', a fork-shared client, a pending client, a datagram server, a socketpair with one end
/// in flight, a client in another network namespace and a container.
/// </summary>
internal static class GraphFixtures
{
    public const ulong HostNs = 4026531840;
    public const ulong OtherNs = 4026532999;

    /// <summary>The command of pid 200: quote, backslash, newline and an HTML tag.</summary>
    public const string EvilCommand = "\"evil\"\\\n<img src=x onerror=alert(1)>";

    /// <summary>A path with a quote, a backslash and a '&amp;'.</summary>
    public static readonly byte[] QuotedPath = Encoding.UTF8.GetBytes("/run/a \"b\"\\c&d.sock");
    /// <summary>A path whose bytes are not UTF-8.</summary>
    public static readonly byte[] Latin1Path = [.. "/tmp/caf"u8, 0xE9, 0xFF, .. ".sock"u8];
    /// <summary>An abstract name with NULs inside and an '@'.</summary>
    public static readonly byte[] AbstractWithNul = [0, .. "dbus"u8, 0, .. "x@y\"}"u8];
    /// <summary>An idle abstract listener whose name ends with a backslash.</summary>
    public static readonly byte[] IdleAbstract = [0, .. "idle\\"u8];
    public static readonly byte[] DevLog = "/dev/log"u8.ToArray();

    private static UnixSocket S(uint inode, UnixSocketType type, UnixSocketState state, byte[]? name = null, uint? peer = null,
        uint? listener = null, uint? pendingOn = null, bool pair = false, ulong? netns = HostNs, params (int Pid, int Fd)[] holders)
        => new()
        {
            Inode = inode,
            Type = type,
            State = state,
            // The engine's own rule, from this end's facts: these fixtures spell out the kernel facts, not roles.
            Role = SocketRoleRules.Decide(type, state, new EndFacts(inode, name is not null, listener is not null), peer, null, pendingOn is not null, pair, false, true),
            NameBytes = name,
            Peer = peer,
            Listener = listener,
            PendingOn = pendingOn,
            AwaitingAccept = pendingOn is not null,
            IsSocketPair = pair,
            NetNs = netns,
            Holders = [.. holders.Select(h => new SocketHolder(h.Pid, h.Fd))],
        };

    private static ProcessInfo P(int pid, string command, uint uid, string? user, ulong netns = HostNs, ContainerInfo? container = null)
        => new() { Pid = pid, PPid = 1, Command = command, CommandLine = [command], Uid = uid, User = user, NetNs = netns, Container = container };

    public static SocketInventory Inventory()
    {
        const UnixSocketType St = UnixSocketType.Stream;
        const UnixSocketType Dg = UnixSocketType.Dgram;
        const UnixSocketState L = UnixSocketState.Listening;
        const UnixSocketState C = UnixSocketState.Connected;
        const UnixSocketState U = UnixSocketState.Unconnected;
        var sockets = new List<UnixSocket>
        {
            // server[100] listens on the quoted path; two clients of pid 200 accepted, one pending from 500.
            S(1000, St, L, QuotedPath, holders: (100, 3)) with { Pending = [1020], PendingCount = 1, Backlog = 128 },
            S(1001, St, C, QuotedPath, peer: 1011, listener: 1000, holders: (100, 4)),
            S(1002, St, C, QuotedPath, peer: 1012, listener: 1000, holders: (100, 5)),
            S(1011, St, C, peer: 1001, holders: (200, 3)),
            S(1012, St, C, peer: 1002, holders: (200, 4)),
            S(1020, St, C, pendingOn: 1000, holders: (500, 3)),
            // A client shared across fork by 300 and 301, to the non-UTF-8 path served by 100.
            S(1100, St, L, Latin1Path, holders: (100, 6)),
            S(1101, St, C, Latin1Path, peer: 1111, listener: 1100, holders: (100, 7)),
            S(1111, St, C, peer: 1101, holders: [(300, 3), (301, 3)]),
            // The abstract name with NULs, served by 100, client in another network namespace (700).
            S(1200, St, L, AbstractWithNul, holders: (100, 8)),
            S(1201, St, C, AbstractWithNul, peer: 1211, listener: 1200, netns: OtherNs, holders: (100, 9)),
            S(1211, St, C, peer: 1201, netns: OtherNs, holders: (700, 3)),
            // An idle listener on 100.
            S(1300, St, L, IdleAbstract, holders: (100, 10)),
            // /dev/log, a datagram server held by 600, with the evil 200 and the container's 800 as clients.
            S(1400, Dg, C, DevLog, holders: (600, 3)) with { Clients = [1411, 1412], Role = SocketRole.DatagramServer },
            S(1411, Dg, C, peer: 1400, holders: (200, 5)),
            S(1412, Dg, C, peer: 1400, holders: (800, 3)),
            // A socketpair between 100 and 400, and one whose second end is in flight.
            S(1500, St, C, peer: 1501, pair: true, holders: (400, 3)),
            S(1501, St, C, peer: 1500, pair: true, holders: (100, 11)),
            S(1600, UnixSocketType.SeqPacket, C, peer: 1601, pair: true, holders: (400, 4)),
            S(1601, UnixSocketType.SeqPacket, C, peer: 1600, pair: true) with { InFlight = true, InFlightOn = 1600, Role = SocketRole.InFlight },
            // An unconnected, unnamed socket: not in the graph.
            S(1700, Dg, U, holders: (400, 5)),
        };
        var processes = new List<ProcessInfo>
        {
            P(100, "server", 0, "root"),
            P(200, EvilCommand, 1000, "alice"),
            P(300, "client", 1000, "alice"),
            P(301, "client", 1000, "alice"),
            P(400, "pairs", 1001, null),
            P(500, "waiter", 1000, "alice"),
            P(600, "syslogd", 0, "root", container: new ContainerInfo("systemd", null, "syslog.service")),
            P(700, "netns-client", 0, "root", OtherNs),
            P(800, "web-app", 33, "www-data", container: new ContainerInfo("docker", "0123456789ab", "web")),
        };
        var warnings = new List<InventoryWarning> { new(WarningCode.ProcessesDenied, "cannot read /proc/4242/fd: Permission denied") };
        return new SocketInventory(sockets, processes, warnings, peersKnown: true);
    }
}
