using SockPeer.Model;

namespace SockPeer.Endpoints;

/// <summary>
/// The endpoints of one snapshot besides Unix sockets: every local channel (pipes, FIFOs, ptys, local
/// TCP and UDP connections, TCP listeners) and every TCP and UDP socket seen, local or not.
/// </summary>
public sealed class EndpointSet
{
    private readonly Dictionary<(int Pid, int Fd), (int Connection, int End)> _byFd = [];
    private readonly Dictionary<ulong, InetSocketLink> _inet = [];

    internal EndpointSet(EndpointKinds kinds, List<EndpointConnection> connections, List<InetSocketLink> inet)
    {
        Kinds = kinds;
        Connections = connections;
        for (int c = 0; c < connections.Count; c++)
        {
            var ends = connections[c].Ends;
            for (int e = 0; e < ends.Count; e++)
            {
                foreach (var h in ends[e].Holders)
                {
                    // A read-write holder of a pipe sits on both ends; the first (write end) answers for it.
                    _ = _byFd.TryAdd((h.Pid, h.Fd), (c, e));
                }
            }
        }
        foreach (var link in inet)
        {
            _inet[link.Socket.Id] = link;
        }
        Sockets = inet.ConvertAll(l => l.Socket);
    }

    /// <summary>The kinds this set was read for.</summary>
    public EndpointKinds Kinds { get; }

    /// <summary>Local channels, in kind order, then by id.</summary>
    public IReadOnlyList<EndpointConnection> Connections { get; }

    /// <summary>Every TCP and UDP socket seen (with an inode), by namespace dump order.</summary>
    public IReadOnlyList<Endpoint> Sockets { get; }

    /// <summary>The pipe, FIFO or pty end that (pid, fd) is on, with the other end.</summary>
    public EndpointReport? FindFd(int pid, int fd)
    {
        if (!_byFd.TryGetValue((pid, fd), out var at))
        {
            return null;
        }
        var connection = Connections[at.Connection];
        if (connection.Kind is EndpointKind.Tcp or EndpointKind.Udp)
        {
            return FindSocket(connection.Ends[at.End].Id);
        }
        var self = connection.Ends[at.End];
        Endpoint? other = connection.Ends.Count == 2 ? connection.Ends[1 - at.End] : null;
        return new EndpointReport(self, other, null);
    }

    /// <summary>A TCP or UDP socket by inode, with its local peer and listener.</summary>
    public EndpointReport? FindSocket(ulong inode)
        => _inet.TryGetValue(inode, out var link) ? new EndpointReport(link.Socket, link.Peer, link.Listener) : null;

    /// <summary>The FIFO with this device and inode.</summary>
    public EndpointConnection? FindFifo(uint major, uint minor, ulong inode)
    {
        string device = $"{major}:{minor}";
        foreach (var c in Connections)
        {
            if (c.Kind == EndpointKind.Fifo && c.Ends[0].Id == inode && c.Ends[0].Device == device)
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>
    /// Local TCP listeners and bound UDP sockets at <paramref name="address"/>:<paramref name="port"/>
    /// (a wildcard bind matches any address), each with its local connections and pending clients.
    /// </summary>
    public IReadOnlyList<(Endpoint Server, IReadOnlyList<EndpointConnection> Connections)> FindServers(InetAddress address, ushort port)
    {
        var servers = new List<(Endpoint, IReadOnlyList<EndpointConnection>)>();
        foreach (var link in _inet.Values)
        {
            var s = link.Socket;
            bool serving = s.Kind == EndpointKind.Tcp ? s.State == "listen" : s.RemotePort == 0;
            if (!serving || s.LocalPort != port || !(s.LocalAddress == address || s.LocalAddress.IsAny))
            {
                continue;
            }
            var connections = new List<EndpointConnection>();
            foreach (var c in Connections)
            {
                if (c.Kind == s.Kind && (ReferenceEquals(c.Listener, s) || (c.Ends.Count == 2 && ReferenceEquals(c.Ends[1], s) && s.Kind == EndpointKind.Udp)))
                {
                    connections.Add(c);
                }
            }
            servers.Add((s, connections));
        }
        servers.Sort((a, b) => a.Item1.Id.CompareTo(b.Item1.Id));
        return servers;
    }
}

/// <summary>A TCP or UDP socket with its local peer and listener, as the join found them.</summary>
internal sealed record InetSocketLink(Endpoint Socket, Endpoint? Peer, Endpoint? Listener);
