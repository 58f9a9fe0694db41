using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Proc;

namespace SockPeer.Tests.Views;

/// <summary>
/// A snapshot built by hand for renderer and view tests: long names, a listener held by nine
/// nginx processes with a full backlog, a connection with queues, a pair, a pending client, a
/// datagram server with clients, a closed peer, one in flight, a deleted socket file, an abstract
/// name, a container, and a socket in a second network namespace.
/// </summary>
internal static class HandBuiltSnapshot
{
    public const ulong HostNs = 4026531840;
    public const ulong OtherNs = 4026532999;
    public const string LongPath = "/run/nginx/upstreams/production/application-backend-with-a-rather-long-name/app.sock";

    private static byte[] Path(string p) => Encoding.UTF8.GetBytes(p);

    private static byte[] Abstract(string n) => [0, .. Encoding.UTF8.GetBytes(n)];

    public static SocketInventory Build(int processesNotInspected = 0)
    {
        var nginx = Enumerable.Range(0, 9).Select(i => new SocketHolder(7760 + i, 6)).ToArray();
        var file = new SocketFile(254, 1, 777001, SocketFileStatus.Ok);
        UnixSocket[] sockets =
        [
            new() { Inode = 1001, Type = UnixSocketType.Stream, State = UnixSocketState.Listening, Role = SocketRole.Listener, NameBytes = Path(LongPath), File = file,
                    PendingCount = 5, Backlog = 5, Pending = [1010], RecvQueue = 5, SendQueue = 5, Holders = nginx, NetNs = HostNs, Uid = 33 },
            new() { Inode = 1002, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Server, NameBytes = Path(LongPath), File = file,
                    Peer = 1003, Listener = 1001, RecvQueue = 0, SendQueue = 0, Holders = [new(7767, 12)], NetNs = HostNs, Uid = 33 },
            new() { Inode = 1003, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Client, Peer = 1002, RecvQueue = 4096, SendQueue = 512,
                    Holders = [new(8001, 3)], NetNs = HostNs, Uid = 1000 },
            new() { Inode = 1004, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Pair, Peer = 1005, IsSocketPair = true,
                    Holders = [new(1, 41)], NetNs = HostNs, Uid = 0 },
            new() { Inode = 1005, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Pair, Peer = 1004, IsSocketPair = true,
                    Holders = [new(1, 42)], NetNs = HostNs, Uid = 0 },
            new() { Inode = 1010, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Pending, PendingOn = 1001, AwaitingAccept = true,
                    Holders = [new(8002, 3)], NetNs = HostNs, Uid = 1000 },
            new() { Inode = 1020, Type = UnixSocketType.Dgram, State = UnixSocketState.Connected, Role = SocketRole.DatagramServer, NameBytes = Path("/dev/log"),
                    File = new SocketFile(0, 5, 1200, SocketFileStatus.Ok), Clients = [1021, 1022], Holders = [new(400, 3)], NetNs = HostNs, Uid = 0 },
            new() { Inode = 1021, Type = UnixSocketType.Dgram, State = UnixSocketState.Connected, Role = SocketRole.DatagramClient, Peer = 1020, Holders = [new(7760, 2)], NetNs = HostNs, Uid = 0 },
            new() { Inode = 1022, Type = UnixSocketType.Dgram, State = UnixSocketState.Connected, Role = SocketRole.DatagramClient, Peer = 1020, Holders = [new(8003, 5)], NetNs = OtherNs, Uid = 1000 },
            new() { Inode = 1030, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Closed, Peer = 0, Holders = [new(8001, 4)], NetNs = HostNs, Uid = 1000 },
            new() { Inode = 1040, Type = UnixSocketType.Stream, State = UnixSocketState.Unconnected, Role = SocketRole.InFlight, InFlight = true, InFlightOn = 1003, NetNs = HostNs, Uid = 1000 },
            new() { Inode = 1050, Type = UnixSocketType.SeqPacket, State = UnixSocketState.Listening, Role = SocketRole.Listener, NameBytes = Path("/tmp/old/deleted.sock"),
                    File = new SocketFile(254, 1, 5555, SocketFileStatus.Deleted), PendingCount = 0, Backlog = 128, SendQueue = 128,
                    Holders = [new(8004, 7)], NetNs = HostNs, Uid = 1000 },
            new() { Inode = 1060, Type = UnixSocketType.Stream, State = UnixSocketState.Listening, Role = SocketRole.Listener, NameBytes = Abstract("dbus-session-bus-address-that-is-long"),
                    PendingCount = 0, Backlog = 4096, SendQueue = 4096, Holders = [new(9000, 11)], NetNs = OtherNs, Uid = 1000 },
            new() { Inode = 1070, Type = UnixSocketType.Dgram, State = UnixSocketState.Unconnected, Role = SocketRole.Unconnected, Holders = [new(9000, 12)], NetNs = OtherNs, Uid = 1000 },
            new() { Inode = 1080, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Client, Peer = 1081, NetNs = HostNs, Uid = 0 },
            new() { Inode = 1081, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Server, Peer = 1080, NetNs = HostNs, Uid = 0 },
        ];
        var processes = new List<ProcessInfo>
        {
            new() { Pid = 1, Command = "systemd", CommandLine = ["/sbin/init"], Uid = 0, User = "root", NetNs = HostNs },
            new() { Pid = 400, Command = "rsyslogd", CommandLine = ["/usr/sbin/rsyslogd", "-n"], Uid = 0, User = "root", NetNs = HostNs },
            new() { Pid = 8001, Command = "curl", CommandLine = ["curl", "--unix-socket", LongPath, "http://x/"], Uid = 1000, User = "alice", NetNs = HostNs },
            new() { Pid = 8002, Command = "curl", CommandLine = ["curl"], Uid = 1000, User = "alice", NetNs = HostNs },
            new() { Pid = 8003, Command = "logger", CommandLine = ["logger", "hi"], Uid = 1000, User = "alice", NetNs = OtherNs,
                    Container = new ContainerInfo("docker", "0123456789ab", "web-frontend-canary") },
            new() { Pid = 8004, Command = "oldsrv", CommandLine = ["oldsrv"], Uid = 1000, User = "alice", NetNs = HostNs },
            new() { Pid = 9000, Command = "dbus-daemon", CommandLine = ["dbus-daemon", "--session"], Uid = 1000, User = "alice", NetNs = OtherNs },
        };
        for (int i = 0; i < 9; i++)
        {
            processes.Add(new ProcessInfo
            {
                Pid = 7760 + i,
                Command = "nginx",
                CommandLine = [i == 0 ? "nginx: master process /usr/sbin/nginx" : "nginx: worker process"],
                Uid = 33,
                User = "www-data",
                NetNs = HostNs,
            });
        }
        processes.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        return new SocketInventory(sockets, processes, [], peersKnown: true) { ProcessesNotInspected = processesNotInspected };
    }
}
