namespace SockPeer.Cli.Interop;

internal sealed unsafe partial class FileDescriptorStream
{
    private const short POLLERR = 8;

    /// <summary>
    /// True when <paramref name="fd"/> is a pipe or socket whose reader went away. A watcher that has
    /// nothing to write for minutes asks this each tick, so `sockpeer watch | head -1` ends when head
    /// does rather than at the next event.
    /// </summary>
    public static bool ReaderGone(int fd)
    {
        var poll = new PollFd { Fd = fd, Events = 0 };
        return SysPoll(&poll, 1, 0) == 1 && (poll.Revents & POLLERR) != 0;
    }
}
