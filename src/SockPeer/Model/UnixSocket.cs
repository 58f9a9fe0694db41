namespace SockPeer.Model;

/// <summary>The file a pathname socket was bound to: the kernel's device and inode of it.</summary>
public sealed record SocketFile(uint Major, uint Minor, ulong Inode, SocketFileStatus Status)
{
    /// <summary>`MAJ:MIN`.</summary>
    public string Device
    {
        get
        {
            Span<byte> text = stackalloc byte[DeviceMaxLength];
            return System.Text.Encoding.ASCII.GetString(text[..FormatDevice(text)]);
        }
    }

    /// <summary>The longest <see cref="Device"/>: two 10-digit numbers and the colon.</summary>
    internal const int DeviceMaxLength = 21;

    /// <summary><see cref="Device"/> in ASCII into <paramref name="ascii"/> (<see cref="DeviceMaxLength"/> bytes or more, so the JSON writer makes no string); the bytes written.</summary>
    internal int FormatDevice(Span<byte> ascii)
    {
        Major.TryFormat(ascii, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        ascii[n++] = (byte)':';
        Minor.TryFormat(ascii[n..], out int m, default, System.Globalization.CultureInfo.InvariantCulture);
        return n + m;
    }

    /// <summary>
    /// The name as it resolves now (as the first holder sees it), when a symlinked directory on the way
    /// makes it another text than the name bound (`/var/run/x.sock` bound, `/run/x.sock` now); null when
    /// the same, unknown, or the name no longer reaches this file. The path filter matches either.
    /// </summary>
    public string? ResolvedPath { get; init; }

    /// <summary>The file's permission bits (07777), read where the path reaches the file (<see cref="SocketFileStatus.Ok"/>); null otherwise.</summary>
    public ushort? Mode { get; init; }
    /// <summary>The file's owner uid, when <see cref="Mode"/> is known.</summary>
    public uint? Uid { get; init; }
    /// <summary>The file's group gid, when <see cref="Mode"/> is known.</summary>
    public uint? Gid { get; init; }
}

/// <summary>One (pid, fd) that holds a socket.</summary>
public readonly record struct SocketHolder(int Pid, int Fd);

/// <summary>One AF_UNIX socket with every join the engine made. Inodes are system-wide keys.</summary>
/// <remarks>
/// A snapshot holds one of these per socket, so its layout is kept small (128 bytes rather than 184 on
/// x64): the optional numbers are stored as a value and a bit in <see cref="_has"/> rather than as
/// nullables (8 bytes each), the flags as bits, the enums as bytes. Every property reads and compares as
/// the plain auto-property it stands for.
/// </remarks>
public sealed record UnixSocket
{
    [Flags]
    private enum Bits : ushort
    {
        NetNs = 1 << 0,
        Peer = 1 << 1,
        Listener = 1 << 2,
        PendingOn = 1 << 3,
        PendingCount = 1 << 4,
        Backlog = 1 << 5,
        Uid = 1 << 6,
        InFlightOn = 1 << 7,
        AwaitingAccept = 1 << 8,
        PendingPartial = 1 << 9,
        IsSocketPair = 1 << 10,
        InFlight = 1 << 11,
        PeerMended = 1 << 12,
    }

    private ulong _netNs;
    private uint _peer, _listener, _pendingOn, _pendingCount, _backlog, _uid, _inFlightOn;
    private byte _type, _role, _state, _shutdown;
    private Bits _has;

    private bool Has(Bits bit) => (_has & bit) != 0;

    private T? Optional<T>(Bits bit, T value)
        where T : struct => Has(bit) ? value : null;

    private T Store<T>(Bits bit, T? value)
        where T : struct
    {
        Set(bit, value.HasValue);
        return value.GetValueOrDefault();
    }

    private void Set(Bits bit, bool value) => _has = value ? _has | bit : _has & ~bit;

    /// <summary>Socket inode (socket:[N]).</summary>
    public required uint Inode { get; init; }
    /// <summary>sock_diag cookie; 0 when unknown (the /proc fallback).</summary>
    public ulong Cookie { get; init; }
    /// <summary>Inode of the network namespace the socket lives in, when known.</summary>
    public ulong? NetNs { get => Optional(Bits.NetNs, _netNs); init => _netNs = Store(Bits.NetNs, value); }
    /// <summary>The name of that namespace: its `ip netns` name, else the container's in it; null when it has none.</summary>
    public string? NetNsName { get; init; }
    /// <summary>Type.</summary>
    public required UnixSocketType Type { get => (UnixSocketType)_type; init => _type = checked((byte)value); }
    /// <summary>The part it plays (listener, client, server, ...), decided once by the engine; every view reads it.</summary>
    public required SocketRole Role { get => (SocketRole)_role; init => _role = checked((byte)value); }
    /// <summary>State.</summary>
    public required UnixSocketState State { get => (UnixSocketState)_state; init => _state = checked((byte)value); }
    /// <summary>Exact name bytes (abstract names with their leading NUL); null when unnamed.</summary>
    public byte[]? NameBytes { get; init; }
    /// <summary>Display text of the name; null when unnamed.</summary>
    public string? Name => NameBytes is null ? null : SocketName.Display(NameBytes);
    /// <summary>Whether the name is in the abstract namespace.</summary>
    public bool IsAbstract => NameBytes is { Length: > 0 } n && n[0] == 0;
    /// <summary>The socket file, for a pathname socket whose file identity the kernel gave.</summary>
    public SocketFile? File { get; init; }
    /// <summary>Peer inode: 0 when the peer closed, null when there is none (or unknown).</summary>
    public uint? Peer { get => Optional(Bits.Peer, _peer); init => _peer = Store(Bits.Peer, value); }
    /// <summary>For an accepted socket, the listener it came from.</summary>
    public uint? Listener { get => Optional(Bits.Listener, _listener); init => _listener = Store(Bits.Listener, value); }
    /// <summary>For a client waiting in an accept queue, that listener (when the kernel listed it).</summary>
    public uint? PendingOn { get => Optional(Bits.PendingOn, _pendingOn); init => _pendingOn = Store(Bits.PendingOn, value); }
    /// <summary>A connected client whose connection has not been accepted yet (its listener may be unknown when the pending list was partial).</summary>
    public bool AwaitingAccept { get => Has(Bits.AwaitingAccept); init => Set(Bits.AwaitingAccept, value); }
    /// <summary>Listeners: clients waiting in the accept queue (0 entries for clients that already closed are dropped).</summary>
    public IReadOnlyList<uint> Pending { get; init; } = [];
    /// <summary>Listeners: how many connections wait to be accepted.</summary>
    public uint? PendingCount { get => Optional(Bits.PendingCount, _pendingCount); init => _pendingCount = Store(Bits.PendingCount, value); }
    /// <summary>Listeners: true when the kernel could not list every pending client.</summary>
    public bool PendingPartial { get => Has(Bits.PendingPartial); init => Set(Bits.PendingPartial, value); }
    /// <summary>Listeners: the backlog limit.</summary>
    public uint? Backlog { get => Optional(Bits.Backlog, _backlog); init => _backlog = Store(Bits.Backlog, value); }
    /// <summary>Sockets whose peer is this one while this one's peer is not them (datagram servers' clients).</summary>
    public IReadOnlyList<uint> Clients { get; init; } = [];
    /// <summary>Both ends unnamed, each the other's peer.</summary>
    public bool IsSocketPair { get => Has(Bits.IsSocketPair); init => Set(Bits.IsSocketPair, value); }
    /// <summary>Bytes (or, for listeners, connections) queued for receiving.</summary>
    public uint RecvQueue { get; init; }
    /// <summary>Send queue (write memory in use; listeners: backlog).</summary>
    public uint SendQueue { get; init; }
    /// <summary>Shutdown state.</summary>
    public ShutdownState Shutdown { get => (ShutdownState)_shutdown; init => _shutdown = checked((byte)value); }
    /// <summary>Owner uid, when the kernel gave it.</summary>
    public uint? Uid { get => Optional(Bits.Uid, _uid); init => _uid = Store(Bits.Uid, value); }
    /// <summary>Every (pid, fd) holding the socket, sorted.</summary>
    public IReadOnlyList<SocketHolder> Holders { get; init; } = [];
    /// <summary>No process holds it and it is believed to be in an SCM_RIGHTS message.</summary>
    public bool InFlight { get => Has(Bits.InFlight); init => Set(Bits.InFlight, value); }
    /// <summary>The socket whose receive queue holds this one in flight, when it can be told.</summary>
    public uint? InFlightOn { get => Optional(Bits.InFlightOn, _inFlightOn); init => _inFlightOn = Store(Bits.InFlightOn, value); }
    /// <summary>
    /// The dump read this socket's end of a connection torn (before connect() or socketpair() finished
    /// setting it), and <see cref="Peer"/> and <see cref="State"/> were completed from the other end's
    /// record. An inference, not what the kernel said of this socket: a diff between snapshots should not
    /// report its flip as a connect or a close. <see cref="InFlight"/> is likewise an inference.
    /// </summary>
    public bool PeerMended { get => Has(Bits.PeerMended); init => Set(Bits.PeerMended, value); }
    /// <summary>
    /// Listeners: the accept queue is full, so the next connect() waits or fails with EAGAIN. The
    /// kernel's test (<c>unix_recvq_full()</c> in net/unix/af_unix.c) is queue length &gt; backlog: a
    /// listener with backlog N admits N + 1 waiting clients, and is full when N + 1 wait. The one
    /// backlog rule of every view.
    /// </summary>
    public bool BacklogFull => State == UnixSocketState.Listening && PendingCount is uint waiting && Backlog is uint limit && waiting > limit;
    /// <summary>The inode of the other end: the peer (not 0), or the listener a pending client waits on; null when none.</summary>
    public uint? OtherEndInode => Peer is uint p and not 0 ? p : PendingOn;
    /// <summary>
    /// The inode that names the connection this socket is an end of: its client end's (for a
    /// socketpair, by convention, the lower of the two inodes); null when it is no end of a connection.
    /// A connection is reported once, by the socket for which this is its own inode.
    /// </summary>
    public uint? ConnectionClient => Role switch
    {
        SocketRole.Client or SocketRole.DatagramClient or SocketRole.Pending => Inode,
        SocketRole.Server => Peer is uint p and not 0 ? p : null,
        SocketRole.Pair => Peer is uint q and not 0 ? Math.Min(Inode, q) : Inode,
        _ => null,
    };
    /// <summary>Identity across snapshots: (network namespace, inode, cookie), since inodes are reused.</summary>
    public SocketKey Key => new(NetNs, Inode, Cookie);
}

/// <summary>A process that holds at least one AF_UNIX socket.</summary>
public sealed record ProcessInfo
{
    /// <summary>Process id.</summary>
    public required int Pid { get; init; }
    /// <summary>Parent process id.</summary>
    public int PPid { get; init; }
    /// <summary>comm.</summary>
    public required string Command { get; init; }
    /// <summary>argv, as /proc/PID/cmdline shows it.</summary>
    public IReadOnlyList<string> CommandLine { get; init; } = [];
    /// <summary>Real uid.</summary>
    public uint Uid { get; init; }
    /// <summary>User name for <see cref="Uid"/>, when the passwd file has one.</summary>
    public string? User { get; init; }
    /// <summary>Inode of its network namespace, when readable.</summary>
    public ulong? NetNs { get; init; }
    /// <summary>The name of that namespace: its `ip netns` name, else the container's in it; null when it has none.</summary>
    public string? NetNsName { get; init; }
    /// <summary>The container or service unit it runs in, from its cgroup; null when none.</summary>
    public Proc.ContainerInfo? Container { get; init; }
}
