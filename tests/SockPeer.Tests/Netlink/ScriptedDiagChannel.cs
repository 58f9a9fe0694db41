using SockPeer.Interop;
using SockPeer.Netlink;

namespace SockPeer.Tests.Netlink;

/// <summary>
/// A fake NETLINK_SOCK_DIAG socket that plays a script: each Receive takes the next step (a datagram,
/// possibly built from the sequence number of the latest request, or an errno). A datagram longer than
/// the caller's buffer is cut and flagged MSG_TRUNC, as the kernel does. Past the end of the script
/// Receive returns 0 bytes; polling far past it throws, so a retry loop in the engine fails the test
/// instead of hanging it.
/// </summary>
internal sealed class ScriptedDiagChannel : IDiagChannel
{
    private readonly Queue<Func<uint, (Errno Errno, byte[] Data, bool ForceTruncated)>> _receives = new();
    private readonly Queue<Errno> _sends = new();
    private int _receivesPastEnd;

    /// <summary>Every request sent, in order.</summary>
    public List<byte[]> Requests { get; } = [];

    /// <summary>The buffer length of every Receive call, in order.</summary>
    public List<int> ReceiveBufferLengths { get; } = [];

    /// <summary>The sequence number of the latest request (0 before any).</summary>
    public uint Sequence => Requests.Count == 0 ? 0 : BitConverter.ToUInt32(Requests[^1], 8);

    /// <summary>How many Receive calls past the end of the script are allowed before one throws.</summary>
    public int MaxReceivesPastEnd { get; set; } = 1000;

    public bool Disposed { get; private set; }

    /// <summary>One datagram built from the latest request's sequence number.</summary>
    public ScriptedDiagChannel Reply(Func<uint, byte[]> datagram)
    {
        _receives.Enqueue(seq => (Errno.None, datagram(seq), false));
        return this;
    }

    /// <summary>One datagram of messages, each built from the latest request's sequence number.</summary>
    public ScriptedDiagChannel Reply(params Func<uint, byte[]>[] messages)
        => Reply(seq => Nl.Datagram(messages.Select(m => m(seq)).ToArray()));

    /// <summary>Exact bytes, whatever the request was.</summary>
    public ScriptedDiagChannel ReplyBytes(byte[] datagram) => Reply(_ => datagram);

    /// <summary>A datagram that recvmsg flags MSG_TRUNC whatever the buffer size.</summary>
    public ScriptedDiagChannel ReplyTruncated(Func<uint, byte[]> datagram)
    {
        _receives.Enqueue(seq => (Errno.None, datagram(seq), true));
        return this;
    }

    /// <summary>recvmsg fails with <paramref name="errno"/>.</summary>
    public ScriptedDiagChannel Fail(Errno errno)
    {
        _receives.Enqueue(_ => (errno, [], false));
        return this;
    }

    /// <summary>The next send fails with <paramref name="errno"/>.</summary>
    public ScriptedDiagChannel FailSend(Errno errno)
    {
        _sends.Enqueue(errno);
        return this;
    }

    /// <summary>The NLMSG_DONE that ends a dump.</summary>
    public ScriptedDiagChannel ReplyDone() => Reply(seq => Nl.Done(seq));

    public int Pending => _receives.Count;

    public Errno Send(ReadOnlySpan<byte> request)
    {
        if (_sends.TryDequeue(out Errno errno) && errno != Errno.None)
        {
            return errno;
        }
        Requests.Add(request.ToArray());
        return Errno.None;
    }

    public Errno Receive(Span<byte> buffer, out int length, out bool truncated)
    {
        ReceiveBufferLengths.Add(buffer.Length);
        length = 0;
        truncated = false;
        if (!_receives.TryDequeue(out var step))
        {
            if (++_receivesPastEnd > MaxReceivesPastEnd)
            {
                throw new InvalidOperationException($"the engine polled the channel {_receivesPastEnd} times past the end of its script");
            }
            return Errno.None;
        }
        var (errno, data, forceTruncated) = step(Sequence);
        if (errno != Errno.None)
        {
            return errno;
        }
        length = Math.Min(data.Length, buffer.Length);
        data.AsSpan(0, length).CopyTo(buffer);
        truncated = forceTruncated || data.Length > buffer.Length;
        return Errno.None;
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Hands out scripted channels in order; with none left, or when told to, Open throws.</summary>
internal sealed class ScriptedChannelFactory : IDiagChannelFactory
{
    private readonly Queue<ScriptedDiagChannel> _channels;
    private readonly Exception? _openFailure;

    public ScriptedChannelFactory(params ScriptedDiagChannel[] channels) => _channels = new(channels);

    public ScriptedChannelFactory(Exception openFailure)
    {
        _channels = new();
        _openFailure = openFailure;
    }

    public int Opened { get; private set; }

    public IDiagChannel Open()
    {
        Opened++;
        if (_openFailure is not null)
        {
            throw _openFailure;
        }
        return _channels.TryDequeue(out var c) ? c : throw new InvalidOperationException("no scripted channel left");
    }
}
