using System.Buffers.Binary;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>One network namespace's AF_UNIX sockets as <c>iter/unix</c> wrote them: the same facts as sock_diag's dump and listener dump.</summary>
/// <param name="Records">Every socket that has an inode, as a sock_diag record (the main dump's attributes).</param>
/// <param name="Queues">Each listener's accept queue in order, as UNIX_DIAG_ICONS gives it.</param>
internal sealed record UnixIteratorRead(IReadOnlyList<UnixDiagRecord> Records, ListenerQueues Queues);

/// <summary>Every process's socket and network-namespace descriptors as <c>iter/task_file</c> wrote them.</summary>
/// <param name="Holders">(socket inode, pid, fd) of every socket descriptor, of any family.</param>
/// <param name="NetNsLinks">Descriptors of network namespaces.</param>
/// <param name="Processes">Processes (thread groups) whose descriptor tables were read.</param>
internal sealed record FdIteratorRead(List<ProcScanner.Found> Holders, List<ProcScanner.NetNsLink> NetNsLinks, int Processes);

/// <summary>A parser fed an iterator's output as it is read.</summary>
internal interface IIteratorParser
{
    /// <summary>Parses the whole records at the start of <paramref name="data"/>; returns how many bytes they took (the rest is a record cut by the read).</summary>
    /// <exception cref="BpfRecordException">A record is of an unknown kind or malformed.</exception>
    int Feed(ReadOnlySpan<byte> data);
}

/// <summary>
/// Parses the records of the bpf collector's iterators (layout: src/SockPeer.Ebpf/bpf/unix_snapshot.h).
/// Every record starts with a 16-bit kind and a 16-bit length, little-endian, lengths multiples of 4.
/// </summary>
internal static class BpfSnapshotRecords
{
    internal const ushort KindSocket = 1;
    internal const ushort KindWaiting = 2;
    internal const ushort KindPartial = 3;
    internal const ushort KindFd = 4;
    internal const ushort KindNetNsFd = 5;
    internal const ushort KindTask = 6;

    /// <summary>sizeof(struct sockpeer_rec_socket) up to its name.</summary>
    internal const int SocketFixedLength = 48;
    private const int WaitingLength = 12;
    private const int FdLength = 16;
    private const int NameMax = 108;

    private const byte HasVfs = 1, HasPeer = 2, HasName = 4;
    private const byte StateListen = 10;

    /// <summary>Parses a whole <c>iter/unix</c> read.</summary>
    /// <exception cref="BpfRecordException">A record is truncated, of an unknown kind or malformed.</exception>
    public static UnixIteratorRead ParseUnix(ReadOnlySpan<byte> data)
    {
        var parser = new UnixParser();
        int consumed = parser.Feed(data);
        return consumed == data.Length ? parser.Finish() : throw new BpfRecordException($"the last {data.Length - consumed} bytes are a record cut off");
    }

    /// <summary>Parses a whole <c>iter/task_file</c> read.</summary>
    /// <exception cref="BpfRecordException">A record is truncated, of an unknown kind or malformed.</exception>
    public static FdIteratorRead ParseFds(ReadOnlySpan<byte> data)
    {
        var parser = new FdParser();
        int consumed = parser.Feed(data);
        return consumed == data.Length ? parser.Finish() : throw new BpfRecordException($"the last {data.Length - consumed} bytes are a record cut off");
    }

    /// <summary>
    /// Parses <c>iter/unix</c> records as they are read, so that no copy of the whole output is kept:
    /// <see cref="Feed"/> takes what has been read and consumes the whole records in it.
    /// </summary>
    internal sealed class UnixParser : IIteratorParser
    {
        private readonly List<UnixDiagRecord> _records = new(1024);
        private readonly Dictionary<uint, uint[]> _icons = [];
        private readonly HashSet<uint> _partial = [];
        private readonly List<uint> _waiting = [];
        private uint _waitingFor;

        /// <inheritdoc />
        public int Feed(ReadOnlySpan<byte> data)
        {
            int consumed = 0;
            while (data.Length - consumed >= 4)
            {
                ReadOnlySpan<byte> rest = data[consumed..];
                var (kind, length) = Header(rest);
                if (length > rest.Length)
                {
                    break; // the rest of it comes with the next read
                }
                Record(kind, rest[..length]);
                consumed += length;
            }
            return consumed;
        }

        /// <summary>Everything fed.</summary>
        public UnixIteratorRead Finish()
        {
            EndQueue();
            return new UnixIteratorRead(_records, new ListenerQueues(_icons, _partial));
        }

        private void EndQueue()
        {
            if (_waitingFor != 0)
            {
                _icons[_waitingFor] = [.. _waiting];
                _waiting.Clear();
                _waitingFor = 0;
            }
        }

        private void Record(ushort kind, ReadOnlySpan<byte> r)
        {
            int length = r.Length;
            switch (kind)
            {
                case KindSocket:
                {
                    EndQueue();
                    if (length < SocketFixedLength)
                    {
                        Throw($"socket record of {length} bytes, needs {SocketFixedLength}");
                    }
                    byte flags = r[43];
                    int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(r[44..]);
                    if (nameLength > NameMax || SocketFixedLength + nameLength > length)
                    {
                        Throw($"socket record names {nameLength} bytes in {length}");
                    }
                    byte state = r[41];
                    uint inode = BinaryPrimitives.ReadUInt32LittleEndian(r[4..]);
                    _records.Add(new UnixDiagRecord
                    {
                        Inode = inode,
                        Cookie = BinaryPrimitives.ReadUInt64LittleEndian(r[8..]),
                        HasPeer = (flags & HasPeer) != 0,
                        Peer = BinaryPrimitives.ReadUInt32LittleEndian(r[16..]),
                        HasVfs = (flags & HasVfs) != 0,
                        VfsInode = BinaryPrimitives.ReadUInt32LittleEndian(r[20..]),
                        VfsDevice = BinaryPrimitives.ReadUInt32LittleEndian(r[24..]),
                        HasRqLen = true,
                        RQueue = BinaryPrimitives.ReadUInt32LittleEndian(r[28..]),
                        WQueue = BinaryPrimitives.ReadUInt32LittleEndian(r[32..]),
                        HasUid = true,
                        Uid = BinaryPrimitives.ReadUInt32LittleEndian(r[36..]),
                        Type = r[40],
                        State = state,
                        HasShutdown = true,
                        Shutdown = r[42],
                        Name = (flags & HasName) != 0 ? Name(r.Slice(SocketFixedLength, nameLength)) : null,
                    });
                    if (state == StateListen)
                    {
                        _waitingFor = inode; // its WAITING records follow it
                    }
                    break;
                }
                case KindWaiting:
                case KindPartial:
                {
                    Need(length, WaitingLength, kind);
                    uint listener = BinaryPrimitives.ReadUInt32LittleEndian(r[4..]);
                    if (listener != _waitingFor)
                    {
                        Throw($"queue record for listener {listener} follows socket {_waitingFor}");
                    }
                    if (kind == KindWaiting)
                    {
                        _waiting.Add(BinaryPrimitives.ReadUInt32LittleEndian(r[8..]));
                    }
                    else
                    {
                        _partial.Add(listener);
                    }
                    break;
                }
                default:
                    Throw($"record kind {kind} is not an iter/unix record");
                    break;
            }
        }
    }

    /// <summary>Parses <c>iter/task_file</c> records as they are read.</summary>
    internal sealed class FdParser : IIteratorParser
    {
        private readonly List<ProcScanner.Found> _holders = new(1024);
        private readonly List<ProcScanner.NetNsLink> _netns = [];
        private int _processes;

        /// <inheritdoc />
        public int Feed(ReadOnlySpan<byte> data)
        {
            int consumed = 0;
            while (data.Length - consumed >= 4)
            {
                ReadOnlySpan<byte> r = data[consumed..];
                var (kind, length) = Header(r);
                if (length > r.Length)
                {
                    break;
                }
                Need(length, FdLength, kind);
                int pid = BinaryPrimitives.ReadInt32LittleEndian(r[4..]);
                int fd = BinaryPrimitives.ReadInt32LittleEndian(r[8..]);
                uint inode = BinaryPrimitives.ReadUInt32LittleEndian(r[12..]);
                switch (kind)
                {
                    case KindFd:
                        _holders.Add(new ProcScanner.Found(inode, pid, fd, 0));
                        break;
                    case KindNetNsFd:
                        _netns.Add(new ProcScanner.NetNsLink(inode, pid, fd));
                        break;
                    case KindTask:
                        _processes++;
                        break;
                    default:
                        Throw($"record kind {kind} is not an iter/task_file record");
                        break;
                }
                consumed += length;
            }
            return consumed;
        }

        /// <summary>Everything fed.</summary>
        public FdIteratorRead Finish() => new(_holders, _netns, _processes);
    }

    private static (ushort Kind, int Length) Header(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            Throw($"{data.Length} bytes left, a record header needs 4");
        }
        ushort kind = BinaryPrimitives.ReadUInt16LittleEndian(data);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(data[2..]);
        if (length < 4 || length % 4 != 0)
        {
            Throw($"record kind {kind} has length {length}");
        }
        return (kind, length);
    }

    /// <summary>As sock_diag's UNIX_DIAG_NAME is read: a pathname up to its NUL, an abstract name exact.</summary>
    private static byte[] Name(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name[0] == 0)
        {
            return name.ToArray();
        }
        int nul = name.IndexOf((byte)0);
        return (nul < 0 ? name : name[..nul]).ToArray();
    }

    private static void Need(int length, int need, ushort kind)
    {
        if (length < need)
        {
            Throw($"record kind {kind} has {length} bytes, needs {need}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Throw(string message) => throw new BpfRecordException(message);
}

/// <summary>An iterator's output could not be parsed.</summary>
internal sealed class BpfRecordException(string message) : IOException(message);
