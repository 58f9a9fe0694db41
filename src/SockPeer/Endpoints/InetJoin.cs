using SockPeer.Endpoints.Families;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints;

/// <summary>
/// Joins TCP and UDP sockets into local connections. Within one network namespace, a local connection
/// is two records whose (local, remote) are each other's swapped; IPv4 is compared in its v4-mapped
/// form, so an AF_INET6 socket talking to an AF_INET one over ::ffff:127.0.0.1 joins too. A TCP client
/// whose other half has no inode yet waits in a listener's accept queue. A connected UDP client whose
/// server is unconnected sends to the socket bound at its remote address (or the wildcard) and port.
/// </summary>
internal static class InetJoin
{
    private static readonly string[] TcpStates =
        ["unknown", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait", "close", "close-wait", "last-ack", "listen", "closing", "new-syn-recv"];

    private readonly record struct Key(ulong? NetNs, byte Protocol, InetAddress Local, ushort LocalPort, InetAddress Remote, ushort RemotePort);

    /// <summary>The local connections and every socket with its peer and listener, for records of one protocol or both.</summary>
    public static FamilyJoin Join(IReadOnlyList<InetRecord> records, IReadOnlyList<ProcScanner.FdWorker> workers)
    {
        var connections = new List<EndpointConnection>();
        var links = new List<InetSocketLink>(records.Count);
        var byKey = new Dictionary<Key, int>(records.Count);
        var servers = new Dictionary<(ulong?, byte, ushort), List<int>>();
        var inodes = new HashSet<uint>();
        for (int i = 0; i < records.Count; i++)
        {
            var (r, ns) = records[i];
            byKey.TryAdd(new Key(ns, r.Protocol, r.Source, r.SourcePort, r.Destination, r.DestinationPort), i);
            bool serving = r.Protocol == InetDiagRequest.Tcp ? r.State == 10 : r.DestinationPort == 0 && r.SourcePort != 0;
            if (serving && r.Inode != 0)
            {
                if (!servers.TryGetValue((ns, r.Protocol, r.SourcePort), out var list))
                {
                    servers[(ns, r.Protocol, r.SourcePort)] = list = [];
                }
                list.Add(i);
            }
            if (r.Inode != 0)
            {
                inodes.Add(r.Inode);
            }
        }

        var holders = new Dictionary<uint, List<EndpointHolder>>();
        foreach (var w in workers)
        {
            foreach (var f in w.Holders)
            {
                if (inodes.Contains(f.Inode))
                {
                    if (!holders.TryGetValue(f.Inode, out var list))
                    {
                        holders[f.Inode] = list = [];
                    }
                    list.Add(new EndpointHolder(f.Pid, f.Fd, EndpointAccess.ReadWrite));
                }
            }
        }

        var endpoints = new Endpoint?[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            var (r, ns) = records[i];
            if (r.Inode == 0)
            {
                continue;
            }
            bool tcp = r.Protocol == InetDiagRequest.Tcp;
            bool listening = tcp && r.State == 10;
            endpoints[i] = new Endpoint
            {
                Kind = tcp ? EndpointKind.Tcp : EndpointKind.Udp,
                Id = r.Inode,
                Name = r.Source.WithPort(r.SourcePort),
                NetNs = ns,
                State = tcp ? (r.State < TcpStates.Length ? TcpStates[r.State] : "unknown") : r.DestinationPort != 0 ? "connected" : "unconnected",
                Holders = holders.TryGetValue(r.Inode, out var h) ? EndpointFamilies.Sorted(h) : [],
                Remote = r.DestinationPort != 0 ? r.Destination.WithPort(r.DestinationPort) : null,
                Pending = listening ? r.RQueue : null,
                Backlog = listening ? r.WQueue : null,
                LocalAddress = r.Source,
                LocalPort = r.SourcePort,
                RemoteAddress = r.Destination,
                RemotePort = r.DestinationPort,
            };
        }

        int? ServerAt(ulong? ns, byte protocol, InetAddress address, ushort port)
        {
            if (!servers.TryGetValue((ns, protocol, port), out var list))
            {
                return null;
            }
            int? any = null;
            foreach (int s in list)
            {
                var a = records[s].Record.Source;
                if (a == address)
                {
                    return s;
                }
                if (a.IsAny && (a.IsV4 == address.IsV4 || !a.IsV4))
                {
                    any ??= s;
                }
            }
            return any;
        }

        for (int i = 0; i < records.Count; i++)
        {
            var (r, ns) = records[i];
            var self = endpoints[i];
            if (self is null)
            {
                continue;
            }
            bool tcp = r.Protocol == InetDiagRequest.Tcp;
            if (tcp && r.State == 10)
            {
                links.Add(new InetSocketLink(self, null, null));
                connections.Add(new EndpointConnection(EndpointKind.Tcp, [self]));
                continue;
            }
            if (r.DestinationPort == 0)
            {
                links.Add(new InetSocketLink(self, null, null));
                continue;
            }
            if (byKey.TryGetValue(new Key(ns, r.Protocol, r.Destination, r.DestinationPort, r.Source, r.SourcePort), out int j) && j != i)
            {
                var other = endpoints[j];
                if (other is null)
                {
                    // The server half exists but has no inode: not accepted yet.
                    int? waitingOn = tcp ? ServerAt(ns, r.Protocol, r.Destination, r.DestinationPort) : null;
                    var listener = waitingOn is int w ? endpoints[w] : null;
                    links.Add(new InetSocketLink(self, null, listener));
                    connections.Add(new EndpointConnection(EndpointKind.Tcp, [self]) { Listener = listener });
                    continue;
                }
                // The end bound where a listener listens is the server; without one, the lower port is.
                int? serverListener = tcp ? ServerAt(ns, r.Protocol, r.Source, r.SourcePort) : null;
                int? otherListener = tcp ? ServerAt(ns, r.Protocol, r.Destination, r.DestinationPort) : null;
                bool selfIsServer = serverListener is not null && otherListener is null
                    || (serverListener is null == otherListener is null && r.SourcePort < r.DestinationPort);
                var listenerEnd = selfIsServer ? serverListener : otherListener;
                var listenerEp = listenerEnd is int le ? endpoints[le] : null;
                links.Add(new InetSocketLink(self, other, listenerEp));
                if (self.Id < other.Id)
                {
                    var (client, server) = selfIsServer ? (other, self) : (self, other);
                    connections.Add(new EndpointConnection(self.Kind, [client, server]) { Listener = listenerEp });
                }
                continue;
            }
            if (!tcp && ServerAt(ns, r.Protocol, r.Destination, r.DestinationPort) is int s && endpoints[s] is { } server1 && s != i)
            {
                // A connected UDP client of an unconnected server: one-way, like a Unix datagram client.
                links.Add(new InetSocketLink(self, server1, null));
                connections.Add(new EndpointConnection(EndpointKind.Udp, [self, server1]));
                continue;
            }
            links.Add(new InetSocketLink(self, null, null)); // remote, or its peer is in another namespace or gone
        }
        return new FamilyJoin(connections, links, []);
    }
}
