namespace SockPeer.Ebpf;

/// <summary>What happened to a connection.</summary>
public enum UnixConnectionFactKind
{
    /// <summary>A client's connect(2) succeeded.</summary>
    Connect = 1,
    /// <summary>A server's accept(2) returned the connection's server end.</summary>
    Accept = 2,
    /// <summary>The first end of the connection went away (close(2) or exit).</summary>
    Close = 3,
}

/// <summary>Which end of a connection, as the kernel decided it: the connect caller's, or the accept caller's.</summary>
public enum ConnectionEnd
{
    /// <summary>Not known: the connection is older than the tracker (neither its connect nor its accept was seen).</summary>
    Unknown = 0,
    /// <summary>The end connect(2) was called on.</summary>
    Client = 1,
    /// <summary>The end accept(2) returned.</summary>
    Server = 2,
}

/// <summary>
/// One connect, accept or close of an AF_UNIX stream or seqpacket connection, matched with the rest of
/// its connection by <see cref="UnixConnectionMatcher"/>. Client and server are the kernel's: the connect
/// caller is the client, the accept caller the server; nothing here is guessed from a snapshot.
/// </summary>
public sealed record UnixConnectionFact
{
    /// <summary>What happened.</summary>
    public required UnixConnectionFactKind Kind { get; init; }
    /// <summary>The kernel's event of it: the connect, the accept, or the close of the end that went first.</summary>
    public required UnixKernelEvent Event { get; init; }
    /// <summary>The client's connect, when the tracker saw it (null for a connection older than the tracker, or a lost event).</summary>
    public UnixKernelEvent? Connect { get; init; }
    /// <summary>The server's accept, when it was seen and came before this fact.</summary>
    public UnixKernelEvent? Accept { get; init; }
    /// <summary>The client end's inode; 0 when not known.</summary>
    public uint ClientInode { get; init; }
    /// <summary>The accepted server end's inode; 0 before the accept, or when not known.</summary>
    public uint ServerInode { get; init; }
    /// <summary>
    /// Whether the server end had been accepted when this happened (an accept: true). A close of an
    /// accepted connection is a connection closing; a client's close before any accept is a client that
    /// gave up waiting. Null when not known (<see cref="Closed"/> is <see cref="ConnectionEnd.Unknown"/>).
    /// </summary>
    public bool? Accepted { get; init; }
    /// <summary>A close: which end went first.</summary>
    public ConnectionEnd Closed { get; init; }
}
