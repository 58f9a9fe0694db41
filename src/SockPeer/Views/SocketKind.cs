using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// What a socket is, as an operator reads it: the words of the table's STATE column. The kernel's
/// <see cref="UnixSocketState"/> has three values; these tell a connection from a socketpair, a
/// client waiting to be accepted, a peer that closed, a datagram server and a socket in flight.
/// </summary>
public enum SocketKind
{
    /// <summary>Connected to a peer that is not its socketpair twin (`conn`).</summary>
    Connection,
    /// <summary>One end of a socketpair (`pair`).</summary>
    Pair,
    /// <summary>A client connected to a listener that has not accepted it yet (`pending`).</summary>
    Pending,
    /// <summary>A listening stream or seqpacket socket (`listen`).</summary>
    Listener,
    /// <summary>Named (or served to datagram clients) and not connected itself (`bound`).</summary>
    Bound,
    /// <summary>Neither named nor connected (`unconn`).</summary>
    Unconnected,
    /// <summary>Its peer has closed (`closed`).</summary>
    Closed,
    /// <summary>Held by no process, in an SCM_RIGHTS message (`inflight`, shown `in-flight`).</summary>
    InFlight,
}

/// <summary>How the two ends of a row relate.</summary>
public enum EndRelation
{
    /// <summary>One end only: a listener, a bound or unconnected socket.</summary>
    None,
    /// <summary>Each end is the other's peer (`&lt;-&gt;`).</summary>
    Mutual,
    /// <summary>The first end points at the other, not back (`--&gt;`): a pending client, a datagram client, a peer that closed or was not seen.</summary>
    OneWay,
}

/// <summary>Text forms of <see cref="SocketKind"/>: the table's words, which the filters and the JSON summary also use.</summary>
public static class SocketKindText
{
    /// <summary>The table's word: `conn`, `pair`, `pending`, `listen`, `bound`, `unconn`, `closed`, `in-flight`.</summary>
    public static string ToText(this SocketKind kind) => kind switch
    {
        SocketKind.Connection => "conn",
        SocketKind.Pair => "pair",
        SocketKind.Pending => "pending",
        SocketKind.Listener => "listen",
        SocketKind.Bound => "bound",
        SocketKind.Unconnected => "unconn",
        SocketKind.Closed => "closed",
        _ => "in-flight",
    };

    /// <summary>Parses a table word (case-insensitive; `inflight` and `in-flight` both work).</summary>
    public static bool TryParse(string text, out SocketKind kind)
    {
        switch (text.ToLowerInvariant())
        {
            case "conn": kind = SocketKind.Connection; return true;
            case "pair": kind = SocketKind.Pair; return true;
            case "pending": kind = SocketKind.Pending; return true;
            case "listen": kind = SocketKind.Listener; return true;
            case "bound": kind = SocketKind.Bound; return true;
            case "unconn": kind = SocketKind.Unconnected; return true;
            case "closed": kind = SocketKind.Closed; return true;
            case "inflight" or "in-flight": kind = SocketKind.InFlight; return true;
            default: kind = default; return false;
        }
    }
}
