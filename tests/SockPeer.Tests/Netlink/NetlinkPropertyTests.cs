using CsCheck;
using SockPeer.Interop;
using SockPeer.Netlink;
using Xunit;

namespace SockPeer.Tests.Netlink;

/// <summary>
/// Random and mutated bytes into the netlink reader, the unix_diag parser and DiagDump: the outcome is a
/// value or <see cref="NetlinkFormatException"/> (DiagUnavailableException for a dump refused outright),
/// never another exception, and every loop ends.
/// </summary>
public class NetlinkPropertyTests
{
    private const UnixDiagShow Show = UnixDiagShow.Name | UnixDiagShow.Vfs | UnixDiagShow.Peer | UnixDiagShow.Icons
        | UnixDiagShow.RqLen | UnixDiagShow.Uid;

    /// <summary>Valid datagrams to mutate: the captured real dump and hand-built ones with every attribute.</summary>
    private static readonly byte[][] Corpus = BuildCorpus();

    private static byte[][] BuildCorpus()
    {
        var corpus = new List<byte[]>(DiagFixture.Load("diag-dump-small").Datagrams);
        byte[] all = Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, 1, Nl.DiagPayload(1, 10, 40, 41,
            Nl.Attr(UnixDiagAttribute.Name, "\0ab\0c"u8),
            Nl.Attr(UnixDiagAttribute.Vfs, Nl.U32(5, 8 << 20)),
            Nl.Attr(UnixDiagAttribute.Icons, Nl.U32(50, 0, 51)),
            Nl.Attr(UnixDiagAttribute.RqLen, Nl.U32(3, 128)),
            Nl.Attr(UnixDiagAttribute.MemInfo, Nl.U32(1, 2, 3, 4, 5, 6, 7, 8, 9)),
            Nl.Attr(UnixDiagAttribute.Shutdown, [1]),
            Nl.Attr(UnixDiagAttribute.Uid, Nl.U32(1000)),
            Nl.Attr(0x8009, [1, 2, 3])));
        byte[] pathPeer = Nl.Record(1, 42, peer: 43, extra: Nl.Attr(UnixDiagAttribute.Name, "/run/a.sock\0"u8));
        corpus.Add(Nl.Datagram(all, pathPeer, Nl.Done(1)));
        corpus.Add(Nl.Datagram(pathPeer, Nl.Error(1, Errno.ENOMEM)));
        corpus.Add(Nl.Error(1, Errno.ENOENT));
        return [.. corpus];
    }

    /// <summary>Reads every message and parses what it can; returns how many messages there were.</summary>
    private static int Decode(byte[] datagram)
    {
        int messages = 0;
        try
        {
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out var m))
            {
                messages++;
                Assert.True(messages <= (datagram.Length / NetlinkMessageReader.HeaderLength) + 1, "the reader does not advance");
                if (m.Type == NetlinkMessageReader.TypeSockDiagByFamily)
                {
                    try
                    {
                        var record = UnixDiagParser.Parse(m.Payload);
                        Assert.True(record.Name is null || record.Name.Length <= m.Payload.Length);
                        Assert.True(record.Icons is null || record.Icons.Length * 4 <= m.Payload.Length);
                    }
                    catch (NetlinkFormatException e)
                    {
                        Assert.False(string.IsNullOrEmpty(e.Message));
                    }
                }
                else if (m.Type == NetlinkMessageReader.TypeError)
                {
                    try
                    {
                        _ = NetlinkMessageReader.ReadErrorPayload(m.Payload);
                    }
                    catch (NetlinkFormatException)
                    {
                    }
                }
            }
        }
        catch (NetlinkFormatException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Message));
        }
        return messages;
    }

    /// <summary>A valid datagram from the corpus with one mutation applied.</summary>
    private static readonly Gen<byte[]> Mutated =
        Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Int[0, 6], Gen.Int[0, int.MaxValue], Gen.Int, Gen.Byte.Array[0, 48])
            .Select((which, kind, position, value, extra) => Mutate(Corpus[which], kind, position, value, extra));

    internal static byte[] Mutate(byte[] valid, int kind, int position, int value, byte[] extra)
    {
        var b = valid.ToList();
        int at = position % Math.Max(1, b.Count);
        switch (kind)
        {
            case 0: // flip bits in one byte
                b[at] ^= (byte)(value | 1);
                break;
            case 1: // truncate
                b.RemoveRange(position % (b.Count + 1), b.Count - (position % (b.Count + 1)));
                break;
            case 2: // extend
                b.AddRange(extra);
                break;
            case 3: // overwrite a u16 (an attribute length or type)
                for (int i = 0; i < 2 && at + i < b.Count; i++)
                {
                    b[at + i] = (byte)(value >> (8 * i));
                }
                break;
            case 4: // overwrite a u32 (a message length, an inode, an errno)
                for (int i = 0; i < 4 && at + i < b.Count; i++)
                {
                    b[at + i] = (byte)(value >> (8 * i));
                }
                break;
            case 5: // scatter several flips
                for (int i = 0; i < extra.Length; i++)
                {
                    b[(int)((at + ((long)i * 7919)) % b.Count)] ^= extra[i];
                }
                break;
            default: // insert bytes in the middle
                b.InsertRange(at, extra);
                break;
        }
        return [.. b];
    }

    [Fact]
    public void Random_bytes_give_messages_or_NetlinkFormatException()
    {
        Gen.Byte.Array[0, 512].Sample(bytes => { Decode(bytes); }, iter: 10_000);
    }

    [Fact]
    public void Random_datagrams_with_a_plausible_header_reach_the_attribute_parser()
    {
        // A correct nlmsghdr and unix_diag_msg, then random attribute bytes.
        Gen.Select(Gen.Byte.Array[0, 300], Gen.Byte[0, 12])
            .Select((attributes, type) => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, 1,
                Nl.DiagPayload(type, 1, 7, 7, attributes)))
            .Sample(bytes => { Decode(bytes); }, iter: 10_000);
    }

    /// <summary>Attributes built with random types and lengths close to the ones the parser checks.</summary>
    private static readonly Gen<byte[]> RandomAttribute =
        Gen.Select(Gen.UShort[0, 12], Gen.Int[0, 3], Gen.Byte.Array[0, 20], Gen.Int[-6, 6])
            .Select((type, flags, data, skew) =>
            {
                byte[] a = Nl.Attr((ushort)(type | (flags << 14)), data);
                if (skew != 0)
                {
                    int len = Math.Max(0, 4 + data.Length + skew);
                    a[0] = (byte)len;
                    a[1] = (byte)(len >> 8);
                }
                return a;
            });

    [Fact]
    public void Structured_random_attributes_give_a_record_or_NetlinkFormatException()
    {
        RandomAttribute.Array[0, 8]
            .Select(attributes => Nl.DiagPayload(1, 1, 9, 9, attributes))
            .Sample(payload =>
            {
                try
                {
                    UnixDiagParser.Parse(payload);
                }
                catch (NetlinkFormatException)
                {
                }
            }, iter: 10_000);
    }

    [Fact]
    public void Mutated_real_and_built_datagrams_give_messages_or_NetlinkFormatException()
    {
        Mutated.Sample(bytes => { Decode(bytes); }, iter: 10_000);
    }

    [Fact]
    public void Mutated_datagrams_through_DiagDump_give_a_result_or_DiagUnavailableException()
    {
        Gen.Select(Mutated, Mutated).Sample((first, second) =>
        {
            var channel = new ScriptedDiagChannel { MaxReceivesPastEnd = 5 }.ReplyBytes(first).ReplyBytes(second);
            try
            {
                var result = new DiagDump().Dump(channel, UnixDiagState.All, Show);
                Assert.All(result.Records, r => Assert.NotEqual(0u, r.Inode));
                Assert.Equal(result.Records.Count, result.Records.Select(r => (r.Inode, r.Cookie)).Distinct().Count());
            }
            catch (DiagUnavailableException e)
            {
                Assert.NotEqual(Errno.None, e.Errno);
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Mutated_datagrams_through_QueryOne_give_a_record_or_an_errno()
    {
        Mutated.Sample(bytes =>
        {
            var channel = new ScriptedDiagChannel { MaxReceivesPastEnd = 5 }.ReplyBytes(bytes);
            var record = new DiagDump().QueryOne(channel, 7, ulong.MaxValue, Show, out Errno error);
            // A record is the one asked for and comes with no errno. (No record may come with errno 0: an
            // NLMSG_ERROR acknowledgement carries error 0.)
            if (record is not null)
            {
                Assert.Equal(Errno.None, error);
                Assert.Equal(7u, record.Inode);
            }
        }, iter: 5_000);
    }

    [Fact]
    public void QueryOne_returns_the_record_asked_for_and_no_other()
    {
        Gen.Select(FieldsGen, Gen.Bool, Gen.UInt).Sample((f, same, other) =>
        {
            uint asked = same ? f.Inode : other != f.Inode ? other : f.Inode + 1;
            var channel = new ScriptedDiagChannel { MaxReceivesPastEnd = 5 }
                .Reply(seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, 0, seq, Encode(f with { FlagBits = 0 })));

            var record = new DiagDump().QueryOne(channel, asked, ulong.MaxValue, Show, out Errno error);

            if (asked == f.Inode)
            {
                Assert.Equal(Errno.None, error);
                Assert.Equal(f.Inode, record!.Inode);
                Assert.Equal(f.Cookie, record.Cookie);
                Assert.Equal(f.Peer is not null, record.HasPeer);
            }
            else
            {
                Assert.Null(record);
                Assert.Equal(Errno.EINVAL, error);
            }
        }, iter: 2_000);
    }

    /// <summary>Fields of a record, for encoding and parsing back.</summary>
    private sealed record Fields(byte Type, byte State, uint Inode, ulong Cookie, byte[]? Name, (uint Ino, uint Dev)? Vfs,
        uint? Peer, uint[]? Icons, (uint R, uint W)? RqLen, byte? Shutdown, uint? Uid, ushort FlagBits);

    private static readonly Gen<byte[]?> NameGen = Gen.Frequency(
        (1, Gen.Const((byte[]?)null)),
        (2, Gen.Byte[1, 255].Array[1, 107].Select(b => (byte[]?)b.Where(x => x != 0).DefaultIfEmpty((byte)'x').ToArray())), // pathname
        (2, Gen.Byte.Array[0, 107].Select(b => (byte[]?)[0, .. b])));                                                     // abstract

    private static readonly Gen<Fields> FieldsGen =
        Gen.Select(Gen.Select(Gen.Byte, Gen.Byte, Gen.UInt, Gen.ULong, NameGen),
                   Gen.Select(Gen.UInt, Gen.UInt).Nullable(), Gen.UInt.Nullable(), Gen.UInt.Array[0, 20].Null(),
                   Gen.Select(Gen.UInt, Gen.UInt).Nullable(), Gen.Byte.Nullable(), Gen.UInt.Nullable(), Gen.UShort[0, 3])
            .Select((head, vfs, peer, icons, rq, shut, uid, flags) => new Fields(head.Item1, head.Item2, head.Item3, head.Item4, head.Item5,
                vfs, peer, icons, rq, shut, uid, flags));

    private static byte[] Encode(Fields f)
    {
        ushort t(UnixDiagAttribute a) => (ushort)((ushort)a | (f.FlagBits << 14));
        var attributes = new List<byte[]>();
        if (f.Name is { } n)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Name), n[0] == 0 ? n : [.. n, 0]));
        }
        if (f.Vfs is { } v)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Vfs), Nl.U32(v.Ino, v.Dev)));
        }
        if (f.Peer is { } p)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Peer), Nl.U32(p)));
        }
        if (f.Icons is { } i)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Icons), Nl.U32(i)));
        }
        if (f.RqLen is { } q)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.RqLen), Nl.U32(q.R, q.W)));
        }
        if (f.Shutdown is { } s)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Shutdown), [s]));
        }
        if (f.Uid is { } u)
        {
            attributes.Add(Nl.Attr(t(UnixDiagAttribute.Uid), Nl.U32(u)));
        }
        return Nl.DiagPayload(f.Type, f.State, f.Inode, f.Cookie, [.. attributes]);
    }

    [Fact]
    public void Encoded_record_parses_back_to_the_same_fields()
    {
        FieldsGen.Sample(f =>
        {
            var r = UnixDiagParser.Parse(Encode(f));

            Assert.Equal(f.Type, r.Type);
            Assert.Equal(f.State, r.State);
            Assert.Equal(f.Inode, r.Inode);
            Assert.Equal(f.Cookie, r.Cookie);
            Assert.Equal(f.Name, r.Name);
            Assert.Equal(f.Vfs is not null, r.HasVfs);
            Assert.Equal(f.Vfs ?? default, (r.VfsInode, r.VfsDevice));
            Assert.Equal(f.Peer is not null, r.HasPeer);
            Assert.Equal(f.Peer ?? 0, r.Peer);
            Assert.Equal(f.Icons, r.Icons);
            Assert.Equal(f.RqLen is not null, r.HasRqLen);
            Assert.Equal(f.RqLen ?? default, (r.RQueue, r.WQueue));
            Assert.Equal(f.Shutdown is not null, r.HasShutdown);
            Assert.Equal(f.Shutdown ?? 0, r.Shutdown);
            Assert.Equal(f.Uid is not null, r.HasUid);
            Assert.Equal(f.Uid ?? 0, r.Uid);
        }, iter: 10_000);
    }

    [Fact]
    public void Encoded_records_in_a_dump_come_back_deduplicated()
    {
        Gen.Select(Gen.UInt[1, 50].Array[0, 60], Gen.Int[1, 8]).Sample((inodes, perDatagram) =>
        {
            var channel = new ScriptedDiagChannel();
            foreach (var chunk in inodes.Chunk(perDatagram))
            {
                channel.Reply(seq => Nl.Datagram(chunk.Select(i => Nl.Record(seq, i)).ToArray()));
            }
            channel.ReplyDone();

            var result = new DiagDump().Dump(channel, UnixDiagState.All, Show);

            Assert.Empty(result.Warnings);
            Assert.Equal(inodes.Distinct().Order(), result.Records.Select(r => r.Inode).Order());
        }, iter: 2_000);
    }
}
