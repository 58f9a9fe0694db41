namespace SockPeer.Model;

/// <summary>AF_UNIX socket type.</summary>
public enum UnixSocketType
{
    /// <summary>An unknown type number.</summary>
    Unknown = 0,
    /// <summary>SOCK_STREAM.</summary>
    Stream = 1,
    /// <summary>SOCK_DGRAM.</summary>
    Dgram = 2,
    /// <summary>SOCK_SEQPACKET.</summary>
    SeqPacket = 5,
}

/// <summary>Connection state.</summary>
public enum UnixSocketState
{
    /// <summary>Not connected (TCP_CLOSE).</summary>
    Unconnected,
    /// <summary>Connected (TCP_ESTABLISHED).</summary>
    Connected,
    /// <summary>Listening (TCP_LISTEN).</summary>
    Listening,
}

/// <summary>Which directions were shut down.</summary>
public enum ShutdownState
{
    /// <summary>Neither.</summary>
    None,
    /// <summary>Receive side.</summary>
    Read,
    /// <summary>Send side.</summary>
    Write,
    /// <summary>Both.</summary>
    Both,
}

/// <summary>Whether the path of a socket file still reaches this socket.</summary>
public enum SocketFileStatus
{
    /// <summary>Could not be checked (relative path, no permission, no holder to resolve it from).</summary>
    Unknown,
    /// <summary>The path reaches this socket's file.</summary>
    Ok,
    /// <summary>The path no longer exists: the file was unlinked.</summary>
    Deleted,
    /// <summary>The path now reaches another socket or file.</summary>
    Replaced,
}

/// <summary>Text forms used in JSON and the human view.</summary>
public static class ModelText
{
    /// <summary>`stream`, `dgram`, `seqpacket`.</summary>
    public static string ToText(this UnixSocketType type) => type switch
    {
        UnixSocketType.Stream => "stream",
        UnixSocketType.Dgram => "dgram",
        UnixSocketType.SeqPacket => "seqpacket",
        _ => "unknown",
    };

    /// <summary>`listening`, `connected`, `unconnected`.</summary>
    public static string ToText(this UnixSocketState state) => state switch
    {
        UnixSocketState.Listening => "listening",
        UnixSocketState.Connected => "connected",
        _ => "unconnected",
    };

    /// <summary>`none`, `read`, `write`, `both`.</summary>
    public static string ToText(this ShutdownState state) => state switch
    {
        ShutdownState.Read => "read",
        ShutdownState.Write => "write",
        ShutdownState.Both => "both",
        _ => "none",
    };

    /// <summary>`ok`, `deleted`, `replaced`, `unknown`.</summary>
    public static string ToText(this SocketFileStatus status) => status switch
    {
        SocketFileStatus.Ok => "ok",
        SocketFileStatus.Deleted => "deleted",
        SocketFileStatus.Replaced => "replaced",
        _ => "unknown",
    };
}
