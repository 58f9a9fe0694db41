using SockPeer.Interop;

namespace SockPeer.Netlink;

/// <summary>
/// A NETLINK_SOCK_DIAG socket bound to one network namespace. The engine talks to the kernel only
/// through this, so tests can replace it with one that injects faults.
/// </summary>
internal interface IDiagChannel : IDisposable
{
    /// <summary>Sends one request.</summary>
    Errno Send(ReadOnlySpan<byte> request);

    /// <summary>Receives one datagram into <paramref name="buffer"/>; <paramref name="truncated"/> is MSG_TRUNC.</summary>
    Errno Receive(Span<byte> buffer, out int length, out bool truncated);
}

/// <summary>Opens diag channels; one per network namespace to dump.</summary>
internal interface IDiagChannelFactory
{
    /// <summary>A channel in the caller's current network namespace.</summary>
    IDiagChannel Open();
}
