using System.Buffers.Binary;
using SockPeer.Proc;

namespace SockPeer.Collection;

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
/// Parses the records of the bpf collector's <c>iter/task_file</c> iterator (layout: src/SockPeer.Ebpf/bpf/holders.h).
/// Every record starts with a 16-bit kind and a 16-bit length, little-endian, lengths multiples of 4.
/// </summary>
internal static class BpfSnapshotRecords
{
    internal const ushort KindFd = 1;
    internal const ushort KindNetNsFd = 2;
    internal const ushort KindTask = 3;

    private const int FdLength = 16;

    /// <summary>Parses a whole <c>iter/task_file</c> read.</summary>
    /// <exception cref="BpfRecordException">A record is truncated, of an unknown kind or malformed.</exception>
    public static FdIteratorRead ParseFds(ReadOnlySpan<byte> data)
    {
        var parser = new FdParser();
        int consumed = parser.Feed(data);
        return consumed == data.Length ? parser.Finish() : throw new BpfRecordException($"the last {data.Length - consumed} bytes are a record cut off");
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
