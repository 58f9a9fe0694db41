using System.Buffers.Binary;
using SockPeer.Collection;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>The bpf collector's record parsers, on byte fixtures laid out as src/SockPeer.Ebpf/bpf/unix_snapshot.h says.</summary>
public sealed class BpfSnapshotRecordsTests
{
    private static byte[] Socket(uint inode, byte type, byte state, byte[]? name = null, uint peer = 0, bool hasPeer = false, uint rq = 0, uint wq = 0, byte shutdown = 0)
    {
        int nameLength = name?.Length ?? 0;
        int length = (BpfSnapshotRecords.SocketFixedLength + nameLength + 3) & ~3;
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16LittleEndian(r, BpfSnapshotRecords.KindSocket);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), inode);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(8), 0x1234_5678_9abc);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(16), peer);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(20), 77);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(24), 0x00800003);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(28), rq);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(32), wq);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(36), 1000);
        r[40] = type;
        r[41] = state;
        r[42] = shutdown;
        r[43] = (byte)((name is not null ? 4 : 0) | (hasPeer ? 2 : 0) | 1);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(44), (ushort)nameLength);
        name?.CopyTo(r, BpfSnapshotRecords.SocketFixedLength);
        return r;
    }

    private static byte[] Small(ushort kind, uint a, uint b = 0, uint c = 0, int length = 12)
    {
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16LittleEndian(r, kind);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), a);
        if (length >= 12)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), b);
        }
        if (length >= 16)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), c);
        }
        return r;
    }

    [Fact]
    public void A_listener_s_queue_follows_it_in_order_and_names_read_as_sock_diag_reads_them()
    {
        byte[] data = [
            .. Socket(10, 1, 10, "/run/x.sock\0"u8.ToArray(), rq: 2, wq: 128),
            .. Small(BpfSnapshotRecords.KindWaiting, 10, 21),
            .. Small(BpfSnapshotRecords.KindWaiting, 10, 0),
            .. Socket(11, 1, 1, [0, (byte)'a', 0, (byte)'b'], peer: 12, hasPeer: true, rq: 5, wq: 9, shutdown: 1),
            .. Socket(12, 2, 7),
            .. Socket(13, 1, 10, "/run/y.sock"u8.ToArray(), rq: 5000, wq: 4),
            .. Small(BpfSnapshotRecords.KindPartial, 13),
        ];
        var read = BpfSnapshotRecords.ParseUnix(data);
        Assert.Equal([10u, 11u, 12u, 13u], read.Records.Select(r => r.Inode));
        Assert.Equal("/run/x.sock"u8.ToArray(), read.Records[0].Name);
        Assert.Equal([0, (byte)'a', 0, (byte)'b'], read.Records[1].Name); // abstract: exact bytes, inner NULs kept
        Assert.Null(read.Records[2].Name);
        Assert.True(read.Records[1].HasPeer);
        Assert.Equal(12u, read.Records[1].Peer);
        Assert.False(read.Records[2].HasPeer);
        Assert.Equal((5u, 9u, (byte)1), (read.Records[1].RQueue, read.Records[1].WQueue, read.Records[1].Shutdown));
        Assert.Equal([21u, 0u], read.Queues.Icons[10]);
        Assert.Empty(read.Queues.Icons[13]);
        Assert.Equal([13u], read.Queues.Partial);
        Assert.Equal(0x1234_5678_9abcUL, read.Records[0].Cookie);
    }

    [Fact]
    public void A_record_cut_by_a_read_is_taken_whole_with_the_next()
    {
        byte[] data = [.. Socket(10, 1, 10, "/run/x.sock"u8.ToArray()), .. Small(BpfSnapshotRecords.KindWaiting, 10, 21), .. Socket(11, 2, 7)];
        for (int cut = 1; cut < data.Length; cut++)
        {
            var parser = new BpfSnapshotRecords.UnixParser();
            int used = parser.Feed(data.AsSpan(0, cut));
            Assert.Equal(data.Length, used + parser.Feed(data.AsSpan(used)));
            var read = parser.Finish();
            Assert.Equal([10u, 11u], read.Records.Select(r => r.Inode));
            Assert.Equal([21u], read.Queues.Icons[10]);
        }
    }

    [Fact]
    public void Descriptor_records_give_holders_namespaces_and_processes()
    {
        byte[] data = [
            .. Small(BpfSnapshotRecords.KindTask, 100, length: 16),
            .. Small(BpfSnapshotRecords.KindFd, 100, 3, 555, length: 16),
            .. Small(BpfSnapshotRecords.KindNetNsFd, 100, 4, 4026531840, length: 16),
            .. Small(BpfSnapshotRecords.KindTask, 101, length: 16),
        ];
        var read = BpfSnapshotRecords.ParseFds(data);
        var holder = Assert.Single(read.Holders);
        Assert.Equal((555u, 100, 3), (holder.Inode, holder.Pid, holder.Fd));
        var ns = Assert.Single(read.NetNsLinks);
        Assert.Equal((4026531840UL, 100, 4), (ns.NetNs, ns.Pid, ns.Fd));
        Assert.Equal(2, read.Processes);
    }

    [Theory]
    [InlineData("unknown kind")]
    [InlineData("queue without listener")]
    [InlineData("cut at the end")]
    [InlineData("bad length")]
    [InlineData("name longer than the record")]
    public void Malformed_output_is_an_error_not_a_guess(string what)
    {
        byte[] socket = Socket(10, 1, 1, "/x"u8.ToArray());
        byte[] data = what switch
        {
            "unknown kind" => Small(9, 1),
            "queue without listener" => [.. socket, .. Small(BpfSnapshotRecords.KindWaiting, 10, 3)],
            "cut at the end" => socket[..^4],
            "bad length" => Patch(Small(BpfSnapshotRecords.KindSocket, 1), 2, 6),
            _ => Patch(socket, 44, 200),
        };
        Assert.Throws<BpfRecordException>(() => BpfSnapshotRecords.ParseUnix(data));
    }

    private static byte[] Patch(byte[] record, int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(offset), value);
        return record;
    }
}
