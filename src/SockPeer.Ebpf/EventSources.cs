using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Views;

namespace SockPeer.Ebpf;

/// <summary>Which event source a watcher or a recorder asks for (<c>--source</c>).</summary>
public enum EventSourceMode
{
    /// <summary>eBPF where it can load, else polling.</summary>
    Auto,
    /// <summary>Snapshots compared every interval.</summary>
    Poll,
    /// <summary>eBPF, or nothing.</summary>
    Ebpf,
}

/// <summary>
/// The one composition of the event sources that <c>watch</c>, <c>record</c> and <c>serve --record</c>
/// consume: <see cref="EbpfEventSource"/> (kernel events, snapshots underneath every resync interval)
/// where it can run and is wanted, else a <see cref="SnapshotPoller"/>.
/// </summary>
public static class EventSources
{
    /// <summary>The words of <c>--source</c>, in the order help shows them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "poll", "ebpf"];

    /// <summary>A word of <see cref="Names"/> (the command line accepts only those); anything else is auto.</summary>
    public static EventSourceMode Parse(string? text) => text switch { "poll" => EventSourceMode.Poll, "ebpf" => EventSourceMode.Ebpf, _ => EventSourceMode.Auto };

    /// <summary>
    /// Opens the source <paramref name="mode"/> asks for. <paramref name="noEbpf"/> says why eBPF did not
    /// run when it was tried and could not (null otherwise); with <see cref="EventSourceMode.Ebpf"/> that
    /// returns null.
    /// </summary>
    public static ISocketEventSource? Open(SocketInventoryReader reader, EventSourceMode mode, TimeSpan pollInterval, TimeSpan ebpfResync, SocketFilter? filter, out string? noEbpf)
    {
        ArgumentNullException.ThrowIfNull(reader);
        noEbpf = null;
        if (mode != EventSourceMode.Poll)
        {
            var kernel = EbpfEventSource.TryCreate(reader, ebpfResync, filter, out string why);
            if (kernel is not null)
            {
                return kernel;
            }
            noEbpf = why;
            if (mode == EventSourceMode.Ebpf)
            {
                return null;
            }
        }
        return new SnapshotPoller(reader, pollInterval);
    }
}
