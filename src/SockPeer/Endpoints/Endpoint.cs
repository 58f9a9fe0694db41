using SockPeer.Model;

namespace SockPeer.Endpoints;

/// <summary>What an fd's other end can be, besides a Unix socket.</summary>
public enum EndpointKind
{
    /// <summary>An AF_UNIX socket (the engine's <see cref="UnixSocket"/>).</summary>
    Unix,
    /// <summary>An anonymous pipe.</summary>
    Pipe,
    /// <summary>A named pipe.</summary>
    Fifo,
    /// <summary>A pseudo-terminal: master (/dev/ptmx) and slave (/dev/pts/N).</summary>
    Pty,
    /// <summary>A TCP socket, IPv4 or IPv6.</summary>
    Tcp,
    /// <summary>A UDP socket, IPv4 or IPv6.</summary>
    Udp,
}

/// <summary>The endpoint kinds a snapshot reads besides Unix sockets.</summary>
[Flags]
public enum EndpointKinds
{
    /// <summary>Unix sockets only.</summary>
    None = 0,
    /// <summary>Anonymous pipes.</summary>
    Pipe = 1,
    /// <summary>Named pipes.</summary>
    Fifo = 2,
    /// <summary>Pseudo-terminals.</summary>
    Pty = 4,
    /// <summary>TCP sockets.</summary>
    Tcp = 8,
    /// <summary>UDP sockets.</summary>
    Udp = 16,
    /// <summary>Every kind.</summary>
    All = Pipe | Fifo | Pty | Tcp | Udp,
}

/// <summary>How an fd was opened: read, write or both (the kernel's FMODE_READ / FMODE_WRITE).</summary>
public enum EndpointAccess
{
    /// <summary>Read only.</summary>
    Read = 1,
    /// <summary>Write only.</summary>
    Write = 2,
    /// <summary>Read and write.</summary>
    ReadWrite = 3,
}

/// <summary>One (pid, fd) on an endpoint and how it was opened.</summary>
public readonly record struct EndpointHolder(int Pid, int Fd, EndpointAccess Access);

/// <summary>
/// One end of an IPC channel: a pipe's read or write end, a FIFO's readers or writers, a pty's master or
/// slave side, a TCP or UDP socket. Immutable.
/// </summary>
public sealed record Endpoint
{
    /// <summary>Kind.</summary>
    public required EndpointKind Kind { get; init; }
    /// <summary>Pipe or FIFO inode, socket inode, pty index.</summary>
    public required ulong Id { get; init; }
    /// <summary>FIFO path, `ADDR:PORT` of a socket's local side, `/dev/pts/N`; null for an anonymous pipe.</summary>
    public string? Name { get; init; }
    /// <summary>Network namespace of a socket; null for the other kinds.</summary>
    public ulong? NetNs { get; init; }
    /// <summary>
    /// pipe / fifo: "read" or "write" (which end); pty: "master" or "slave"; tcp: the TCP state
    /// ("established", "listen", ...); udp: "connected" or "unconnected".
    /// </summary>
    public required string State { get; init; }
    /// <summary>Who has it open, ordered by pid and fd.</summary>
    public IReadOnlyList<EndpointHolder> Holders { get; init; } = [];
    /// <summary>FIFO: the device holding it, MAJOR:MINOR.</summary>
    public string? Device { get; init; }
    /// <summary>Socket: the remote `ADDR:PORT`; null when unconnected.</summary>
    public string? Remote { get; init; }
    /// <summary>TCP listener: connections waiting in the accept queue.</summary>
    public uint? Pending { get; init; }
    /// <summary>TCP listener: the accept queue's limit.</summary>
    public uint? Backlog { get; init; }
    /// <summary>Socket: local address.</summary>
    public InetAddress LocalAddress { get; init; }
    /// <summary>Socket: local port.</summary>
    public ushort LocalPort { get; init; }
    /// <summary>Socket: remote address.</summary>
    public InetAddress RemoteAddress { get; init; }
    /// <summary>Socket: remote port; 0 when unconnected.</summary>
    public ushort RemotePort { get; init; }
}

/// <summary>
/// One channel between local ends: ends[0] writes / is the master / is the client, ends[1] reads / is the
/// slave / is the server. A single end when the other is gone or not local (a listener, a pipe whose
/// readers all closed). A TCP client not accepted yet has its listener and no second end.
/// </summary>
public sealed record EndpointConnection(EndpointKind Kind, IReadOnlyList<Endpoint> Ends)
{
    /// <summary>The listener an accepted or pending TCP connection came through.</summary>
    public Endpoint? Listener { get; init; }
}

/// <summary>An endpoint with what is on its other end.</summary>
/// <param name="Endpoint">The end asked about.</param>
/// <param name="Peer">The other end, when it is local and seen.</param>
/// <param name="Listener">For TCP: the listener the connection came through, or the one it waits on.</param>
public sealed record EndpointReport(Endpoint Endpoint, Endpoint? Peer, Endpoint? Listener)
{
    /// <summary>Every pid holding one of the report's ends, ordered.</summary>
    public IReadOnlyList<int> HolderPids
    {
        get
        {
            var pids = new SortedSet<int>();
            foreach (var e in new[] { Endpoint, Peer, Listener })
            {
                if (e is not null)
                {
                    foreach (var h in e.Holders)
                    {
                        pids.Add(h.Pid);
                    }
                }
            }
            return [.. pids];
        }
    }
}
