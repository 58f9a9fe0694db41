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

    /// <summary>
    /// Under the bpf collector, the <c>iter/unix</c> iterator created in this channel's namespace when the
    /// channel was (an iterator is bound to the namespace it is created in, as the netlink socket is);
    /// null under the procfs collector, or when it could not be created (<see cref="UnixIteratorError"/>).
    /// Read once; it is closed with the channel.
    /// </summary>
    SafeFd? UnixIterator => null;

    /// <summary>Why the bpf collector's iterator could not be created with this channel; <see cref="Errno.None"/> otherwise.</summary>
    Errno UnixIteratorError => Errno.None;
}

/// <summary>Opens diag channels; one per network namespace to dump.</summary>
internal interface IDiagChannelFactory
{
    /// <summary>A channel in the caller's current network namespace, for queries.</summary>
    IDiagChannel Open();

    /// <summary>A channel in the caller's current network namespace for a whole dump: with the bpf collector's iterator when it runs.</summary>
    IDiagChannel OpenForDump() => Open();
}
