using System.Buffers.Binary;
using SockPeer.Collection;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>The bpf collector's record parser, on byte fixtures laid out as src/SockPeer.Ebpf/bpf/holders.h says.</summary>
public sealed class BpfSnapshotRecordsTests
{
    private static byte[] Record(ushort kind, uint pid, uint fd = 0, uint inode = 0, int length = 16)
    {
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16LittleEndian(r, kind);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)length);
        if (length >= 16)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), pid);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), fd);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), inode);
        }
        return r;
    }

    private static readonly byte[] Sample = [
        .. Record(BpfSnapshotRecords.KindTask, 100),
        .. Record(BpfSnapshotRecords.KindFd, 100, 3, 555),
        .. Record(BpfSnapshotRecords.KindNetNsFd, 100, 4, 4026531840),
        .. Record(BpfSnapshotRecords.KindTask, 101),
        .. Record(BpfSnapshotRecords.KindFd, 101, 7, 556),
    ];

    [Fact]
    public void Descriptor_records_give_holders_namespaces_and_processes()
    {
        var read = BpfSnapshotRecords.ParseFds(Sample);
        Assert.Equal([(555u, 100, 3), (556u, 101, 7)], read.Holders.Select(h => (h.Inode, h.Pid, h.Fd)));
        var ns = Assert.Single(read.NetNsLinks);
        Assert.Equal((4026531840UL, 100, 4), (ns.NetNs, ns.Pid, ns.Fd));
        Assert.Equal(2, read.Processes);
    }

    [Fact]
    public void A_record_cut_by_a_read_is_taken_whole_with_the_next()
    {
        for (int cut = 1; cut < Sample.Length; cut++)
        {
            var parser = new BpfSnapshotRecords.FdParser();
            int used = parser.Feed(Sample.AsSpan(0, cut));
            Assert.Equal(cut - cut % 16, used);
            Assert.Equal(Sample.Length - used, parser.Feed(Sample.AsSpan(used)));
            var read = parser.Finish();
            Assert.Equal(2, read.Holders.Count);
            Assert.Equal(2, read.Processes);
        }
    }

    [Theory]
    [InlineData("unknown kind")]
    [InlineData("cut at the end")]
    [InlineData("bad length")]
    [InlineData("too short")]
    public void Malformed_output_is_an_error_not_a_guess(string what)
    {
        byte[] data = what switch
        {
            "unknown kind" => Record(9, 1),
            "cut at the end" => Sample[..^4],
            "bad length" => Patch(Record(BpfSnapshotRecords.KindFd, 1), 2, 6),
            _ => Record(BpfSnapshotRecords.KindFd, 1, length: 8),
        };
        Assert.Throws<BpfRecordException>(() => BpfSnapshotRecords.ParseFds(data));
    }

    private static byte[] Patch(byte[] record, int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(offset), value);
        return record;
    }
}
