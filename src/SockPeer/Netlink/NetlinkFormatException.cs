namespace SockPeer.Netlink;

/// <summary>Bytes from the kernel (or a fixture) that do not follow the netlink or sock_diag layout.</summary>
internal sealed class NetlinkFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NetlinkFormatException() { }

    /// <summary>Creates the exception with a message naming what was wrong.</summary>
    public NetlinkFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public NetlinkFormatException(string message, Exception inner) : base(message, inner) { }
}
