namespace SockPeer.Model;

/// <summary>
/// The part a socket plays, decided once by the engine when it projects the model
/// (<c>Joining/SocketRoleRules.cs</c>) and read by every view: the table, <c>peer</c>, <c>who</c>,
/// the graph, the diff and <c>watch</c>, and serve's metrics. Schema 1's <c>role</c> field.
/// </summary>
public enum SocketRole
{
    /// <summary>A listening stream or seqpacket socket (<c>listener</c>).</summary>
    Listener,
    /// <summary>The connecting end of an accepted stream or seqpacket connection (<c>client</c>).</summary>
    Client,
    /// <summary>The accepted end of a stream or seqpacket connection: it carries the listener's name, so it stays the server after the listener closes (<c>server</c>).</summary>
    Server,
    /// <summary>A client connected to a listener that has not accepted it yet (<c>pending</c>).</summary>
    Pending,
    /// <summary>One end of a socketpair (<c>pair</c>).</summary>
    Pair,
    /// <summary>A named datagram socket with no peer of its own: datagram clients send to it (<c>datagram-server</c>).</summary>
    DatagramServer,
    /// <summary>A datagram socket connected to a peer (<c>datagram-client</c>).</summary>
    DatagramClient,
    /// <summary>A named stream or seqpacket socket that neither listens nor is connected (<c>bound</c>).</summary>
    Bound,
    /// <summary>Neither named nor connected (<c>unconnected</c>).</summary>
    Unconnected,
    /// <summary>Its peer has closed (<c>closed</c>).</summary>
    Closed,
    /// <summary>Held by no process, in an SCM_RIGHTS message (<c>in-flight</c>).</summary>
    InFlight,
}

/// <summary>Text forms and groupings of <see cref="SocketRole"/>.</summary>
public static class SocketRoleText
{
    /// <summary>Schema 1's word: <c>listener</c>, <c>client</c>, <c>server</c>, <c>pending</c>, <c>pair</c>, <c>datagram-server</c>, <c>datagram-client</c>, <c>bound</c>, <c>unconnected</c>, <c>closed</c>, <c>in-flight</c>.</summary>
    public static string ToText(this SocketRole role) => role switch
    {
        SocketRole.Listener => "listener",
        SocketRole.Client => "client",
        SocketRole.Server => "server",
        SocketRole.Pending => "pending",
        SocketRole.Pair => "pair",
        SocketRole.DatagramServer => "datagram-server",
        SocketRole.DatagramClient => "datagram-client",
        SocketRole.Bound => "bound",
        SocketRole.Unconnected => "unconnected",
        SocketRole.Closed => "closed",
        _ => "in-flight",
    };

    /// <summary>A socket other processes connect or send to by its name: a listener or a datagram server.</summary>
    public static bool Serves(this SocketRole role) => role is SocketRole.Listener or SocketRole.DatagramServer;

    /// <summary>
    /// The socket a name (a socket file or an abstract name) is bound to, which a connect() to that name
    /// reaches: one that serves, or a bound stream or seqpacket socket that does not listen (yet). Not an
    /// accepted socket, which carries its listener's name without being bound to it.
    /// </summary>
    public static bool HoldsName(this SocketRole role) => role.Serves() || role == SocketRole.Bound;
}
