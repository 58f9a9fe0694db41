namespace SockPeer.Ebpf;

/// <summary>
/// Turns the kernel's connect, accept and close events into <see cref="UnixConnectionFact"/>s: each
/// event matched with the rest of its connection by the kernel's socket ids (a connect names its
/// server half, which the accept returns; a close names the socket and its peer). Client and server
/// are what the kernel says: the connect caller is the client, the accept caller the server.
/// <para>
/// The ring buffer is in the order events were made, and a connect's is made on connect(2)'s way out:
/// a server on another CPU may accept, and even close, before it. What refers to a connection whose
/// connect has not been read yet is held until the connect arrives, for at most <see cref="HoldFor"/>
/// (then it is a connection older than the tracker, and comes out with what the event alone says).
/// </para>
/// One thread feeds it (the tracker's drain thread); it keeps no snapshot and reads no clock.
/// </summary>
public sealed class UnixConnectionMatcher
{
    /// <summary>How long an accept or close waits for its connect.</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromMilliseconds(250);
    // A closed connection is kept this long: to drop the second end's close when the two closes race,
    // and to match an accept that comes after its client gave up waiting.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);
    private const int MaxTracked = 1 << 18;

    private sealed class Connection
    {
        public ulong ClientId;
        public ulong ServerId;
        public uint ClientInode;
        public uint ServerInode;
        public UnixKernelEvent? Connect;
        public UnixKernelEvent? Accept;
        public ulong ClosedAtNs;
        public ulong ClosedId; // the end that closed first
    }

    // Connections by either end's kernel socket id.
    private readonly Dictionary<ulong, Connection> _byId = [];
    // Accepts and closes read before their connection's connect, in the order read.
    private readonly List<UnixKernelEvent> _held = [];
    // The socket ids the held events name (theirs and their peers'), with how many name each.
    private readonly Dictionary<ulong, int> _heldIds = [];
    private readonly Queue<Connection> _closed = new();

    /// <summary>Accepts and closes waiting for their connect.</summary>
    public int Held => _held.Count;

    /// <summary>
    /// Matches <paramref name="batch"/> (in the ring buffer's order) at kernel monotonic time
    /// <paramref name="nowNanoseconds"/>, and returns the facts it and what was held make now.
    /// </summary>
    public List<UnixConnectionFact> Match(IReadOnlyList<UnixKernelEvent> batch, ulong nowNanoseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var facts = new List<UnixConnectionFact>();
        foreach (var k in batch)
        {
            if (_held.Count > 0 && k.Kind != UnixKernelEventKind.Connect && Waits(k))
            {
                Hold(k); // behind what is held already: a connection's events stay in order
                continue;
            }
            if (!Handle(k, force: false, facts))
            {
                Hold(k);
            }
        }
        Release(nowNanoseconds, facts);
        Purge(nowNanoseconds);
        return facts;
    }

    /// <summary>Whether a held event is about the same connection as <paramref name="k"/>.</summary>
    private bool Waits(UnixKernelEvent k)
        => _heldIds.ContainsKey(k.SocketId) || (k.PeerSocketId != 0 && _heldIds.ContainsKey(k.PeerSocketId));

    private void Hold(UnixKernelEvent k)
    {
        _held.Add(k);
        foreach (ulong id in (ReadOnlySpan<ulong>)[k.SocketId, k.PeerSocketId])
        {
            if (id != 0)
            {
                _heldIds[id] = _heldIds.GetValueOrDefault(id) + 1;
            }
        }
    }

    private void Unhold(int i)
    {
        var k = _held[i];
        _held.RemoveAt(i);
        foreach (ulong id in (ReadOnlySpan<ulong>)[k.SocketId, k.PeerSocketId])
        {
            if (id != 0 && _heldIds.TryGetValue(id, out int n))
            {
                if (n <= 1)
                {
                    _heldIds.Remove(id);
                }
                else
                {
                    _heldIds[id] = n - 1;
                }
            }
        }
    }

    /// <summary>Held events whose connect came, in order; and those that waited long enough, as they are.</summary>
    private void Release(ulong now, List<UnixConnectionFact> facts)
    {
        for (int i = 0; i < _held.Count;)
        {
            var k = _held[i];
            bool expired = now >= k.MonotonicNanoseconds && now - k.MonotonicNanoseconds >= (ulong)HoldFor.Ticks * 100;
            if (Handle(k, expired, facts))
            {
                Unhold(i);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>One event; false when it must wait for its connect (never when <paramref name="force"/>).</summary>
    private bool Handle(UnixKernelEvent k, bool force, List<UnixConnectionFact> facts)
    {
        switch (k.Kind)
        {
            case UnixKernelEventKind.Connect:
                OnConnect(k, facts);
                return true;
            case UnixKernelEventKind.Accept:
                return OnAccept(k, force, facts);
            case UnixKernelEventKind.Close when !k.Listening:
                return OnClose(k, force, facts);
            default:
                return true; // a listener's close: no connection
        }
    }

    private void OnConnect(UnixKernelEvent k, List<UnixConnectionFact> facts)
    {
        Forget(_byId.GetValueOrDefault(k.SocketId)); // a socket id reused after its socket was freed
        Forget(k.PeerSocketId == 0 ? null : _byId.GetValueOrDefault(k.PeerSocketId));
        if (_byId.Count >= MaxTracked)
        {
            _byId.Clear(); // connections never closed as far as we heard (lost events): bounded
        }
        var c = new Connection { ClientId = k.SocketId, ServerId = k.PeerSocketId, ClientInode = k.Inode, Connect = k };
        _byId[c.ClientId] = c;
        if (c.ServerId != 0)
        {
            _byId[c.ServerId] = c;
        }
        facts.Add(new UnixConnectionFact { Kind = UnixConnectionFactKind.Connect, Event = k, Connect = k, ClientInode = k.Inode, Accepted = false });
        if (Waits(k))
        {
            Release(0, facts); // what waited for this connect, in order
        }
    }

    private bool OnAccept(UnixKernelEvent k, bool force, List<UnixConnectionFact> facts)
    {
        var c = _byId.GetValueOrDefault(k.SocketId);
        if (c is null || c.ServerId != k.SocketId || c.Accept is not null)
        {
            if (!force)
            {
                return false;
            }
            // A client connected before the tracker started (or its connect was lost).
            Forget(c);
            c = new Connection { ClientId = k.PeerSocketId, ServerId = k.SocketId, ClientInode = k.PeerInode };
            _byId[c.ServerId] = c;
            if (c.ClientId != 0)
            {
                _byId[c.ClientId] = c;
            }
        }
        c.Accept = k;
        c.ServerInode = k.Inode;
        facts.Add(new UnixConnectionFact
        {
            Kind = UnixConnectionFactKind.Accept,
            Event = k,
            Connect = c.Connect,
            Accept = k,
            ClientInode = c.ClientInode,
            ServerInode = k.Inode,
            Accepted = true,
        });
        if (c.ClosedAtNs != 0)
        {
            Forget(c); // its client gave up waiting before this accept: nothing more comes of it
        }
        return true;
    }

    private bool OnClose(UnixKernelEvent k, bool force, List<UnixConnectionFact> facts)
    {
        var c = _byId.GetValueOrDefault(k.SocketId);
        if (c is not null && (Predates(k, c, force) || Reused(k, c)))
        {
            // An older socket's close (one the tracker never saw connect, held for its connect): the
            // kernel reused its freed memory, and so its id, for this connection's socket. Matched, it
            // would close this connection early with the wrong ends, and drop this connection's own close.
            facts.Add(new UnixConnectionFact { Kind = UnixConnectionFactKind.Close, Event = k, Closed = ConnectionEnd.Unknown });
            return true;
        }
        if (c is null || (c.ServerId == k.SocketId && c.Accept is null))
        {
            // A server end whose accept (and connect) are not read yet, or a connection older than the tracker.
            if (!force)
            {
                return false;
            }
            facts.Add(new UnixConnectionFact
            {
                Kind = UnixConnectionFactKind.Close,
                Event = k,
                Connect = c?.Connect,
                ClientInode = c?.ClientInode ?? 0,
                ServerInode = c is null ? 0 : k.Inode,
                Closed = c is null ? ConnectionEnd.Unknown : ConnectionEnd.Server,
                Accepted = c is null ? null : true, // only an accepted end has a descriptor to close
            });
            Forget(c);
            return true;
        }
        if (c.ClosedAtNs != 0)
        {
            return true; // the other end went first; both are reported only when the two closes race
        }
        var end = c.ClientId == k.SocketId ? ConnectionEnd.Client : ConnectionEnd.Server;
        c.ClosedAtNs = Math.Max(k.MonotonicNanoseconds, 1);
        c.ClosedId = k.SocketId;
        _closed.Enqueue(c);
        facts.Add(new UnixConnectionFact
        {
            Kind = UnixConnectionFactKind.Close,
            Event = k,
            Connect = c.Connect,
            Accept = c.Accept,
            ClientInode = c.ClientInode,
            ServerInode = c.ServerInode,
            Closed = end,
            Accepted = c.Accept is not null,
        });
        return true;
    }

    /// <summary>
    /// Whether close <paramref name="k"/> was made before the socket of <paramref name="c"/> that has its
    /// id could have been closed: a client's before its connect returned, a server end's before its
    /// accept returned (or, when the accept never came, <paramref name="force"/>: a server end that was
    /// never accepted has no descriptor to close). Socket ids are kernel addresses, reused as soon as a
    /// socket is freed; under churn a new connection often gets the address of a socket closed a moment
    /// before, whose close waits for a connect that never comes.
    /// </summary>
    private static bool Predates(UnixKernelEvent k, Connection c, bool force)
    {
        if (c.ClientId == k.SocketId)
        {
            return c.Connect is { } connect && k.MonotonicNanoseconds < connect.MonotonicNanoseconds;
        }
        return c.Accept is { } accept ? k.MonotonicNanoseconds < accept.MonotonicNanoseconds : force && c.Connect is not null;
    }

    /// <summary>
    /// Whether close <paramref name="k"/> is of a socket that took the address of an end of the closed
    /// connection <paramref name="c"/> after it closed: that end was the one that closed (an end closes
    /// once), or it is a server end never accepted.
    /// </summary>
    private static bool Reused(UnixKernelEvent k, Connection c)
        => c.ClosedAtNs != 0 && k.MonotonicNanoseconds > c.ClosedAtNs && (k.SocketId == c.ClosedId || (k.SocketId == c.ServerId && c.Accept is null));

    /// <summary>Closed connections past their linger.</summary>
    private void Purge(ulong now)
    {
        ulong linger = (ulong)Linger.Ticks * 100;
        while (_closed.TryPeek(out var c) && now > c.ClosedAtNs && now - c.ClosedAtNs > linger)
        {
            _closed.Dequeue();
            Forget(c);
        }
    }

    private void Forget(Connection? c)
    {
        if (c is null)
        {
            return;
        }
        if (_byId.TryGetValue(c.ClientId, out var a) && ReferenceEquals(a, c))
        {
            _byId.Remove(c.ClientId);
        }
        if (_byId.TryGetValue(c.ServerId, out var b) && ReferenceEquals(b, c))
        {
            _byId.Remove(c.ServerId);
        }
    }
}
