using SockPeer.Interop;

namespace SockPeer.Netlink;

/// <summary>sock_diag cannot be used here (no unix_diag in the kernel, or netlink refused): fall back to /proc/net/unix.</summary>
internal sealed class DiagUnavailableException : Exception
{
    /// <summary>The errno the kernel gave.</summary>
    public Errno Errno { get; }

    /// <summary>Creates the exception.</summary>
    public DiagUnavailableException() { }

    /// <summary>Creates the exception.</summary>
    public DiagUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public DiagUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with the kernel's errno.</summary>
    public DiagUnavailableException(string message, Errno errno) : base(message) => Errno = errno;
}
