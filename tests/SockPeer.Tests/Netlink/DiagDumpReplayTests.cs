using System.Text.Json;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Netlink;

/// <summary>
/// Replays the raw datagrams of a real dump (captured by Fixtures/capture_diag.py on kernel 6.18 in a
/// fresh network namespace) through a fake channel into <see cref="DiagDump"/>.
/// </summary>
public class DiagDumpReplayTests
{
    private const string Small = "diag-dump-small";

    private static ScriptedDiagChannel Replaying(DiagFixture fixture)
    {
        var channel = new ScriptedDiagChannel();
        foreach (var d in fixture.Datagrams)
        {
            channel.ReplyBytes(d);
        }
        return channel;
    }

    [Fact]
    public void Fixture_framing_holds_the_captured_datagrams()
    {
        var fixture = DiagFixture.Load(Small);

        Assert.Equal(fixture.Sidecar.GetProperty("datagrams").GetInt32(), fixture.Datagrams.Count);
        Assert.False(fixture.Sidecar.GetProperty("filtered").GetBoolean());
    }

    [Fact]
    public void Request_is_byte_for_byte_the_one_the_kernel_answered()
    {
        var fixture = DiagFixture.Load(Small);
        var channel = Replaying(fixture);

        new DiagDump().Dump(channel, fixture.States, (UnixDiagShow)fixture.Show);

        Assert.Single(channel.Requests);
        Assert.Equal(fixture.RequestHex, Hex.Of(channel.Requests[0]));
        Assert.Equal(fixture.Sequence, channel.Sequence);
    }

    [Fact]
    public void Every_message_is_multipart_and_the_dump_ends_with_done()
    {
        var fixture = DiagFixture.Load(Small);
        var types = new List<ushort>();
        foreach (var datagram in fixture.Datagrams)
        {
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out var m))
            {
                Assert.Equal(fixture.Sequence, m.Sequence);
                Assert.NotEqual(0, m.Flags & NetlinkMessageReader.FlagMulti);
                types.Add(m.Type);
            }
        }

        Assert.Equal(NetlinkMessageReader.TypeDone, types[^1]);
        Assert.Equal(fixture.Sockets.Count(), types.Count(t => t == NetlinkMessageReader.TypeSockDiagByFamily));
    }

    [Fact]
    public void Replayed_dump_gives_the_captured_population()
    {
        var fixture = DiagFixture.Load(Small);
        var channel = Replaying(fixture);

        var result = new DiagDump().Dump(channel, fixture.States, (UnixDiagShow)fixture.Show);

        Assert.Empty(result.Warnings);
        Assert.True(result.Complete);
        Assert.Equal(0, channel.Pending);
        Assert.Equal(fixture.Sockets.Count(), result.Records.Count);
        var byInode = result.Records.ToDictionary(r => r.Inode);
        foreach (var (role, expected) in fixture.Sockets)
        {
            uint inode = expected.GetProperty("inode").GetUInt32();
            Assert.True(byInode.TryGetValue(inode, out var r), $"{role} ({inode}) is missing");
            Check(role, expected, r!);
        }
    }

    private static void Check(string role, JsonElement e, UnixDiagRecord r)
    {
        Assert.True(e.GetProperty("type").GetByte() == r.Type, $"{role}: type {r.Type}");
        Assert.True(e.GetProperty("state").GetByte() == r.State, $"{role}: state {r.State}");

        var name = e.GetProperty("name");
        Assert.Equal(name.ValueKind == JsonValueKind.Null ? null : name.GetString(), r.Name is null ? null : Hex.Of(r.Name));

        if (e.TryGetProperty("vfs_ino", out var vfsIno))
        {
            Assert.True(r.HasVfs, $"{role}: VFS missing");
            Assert.Equal(vfsIno.GetUInt32(), r.VfsInode);
            Assert.Equal(e.GetProperty("vfs_dev").GetUInt32(), r.VfsDevice);
        }
        else
        {
            Assert.False(r.HasVfs, $"{role}: unexpected VFS");
        }

        var peer = e.GetProperty("peer");
        if (peer.ValueKind == JsonValueKind.Null)
        {
            Assert.False(r.HasPeer, $"{role}: unexpected PEER {r.Peer}");
        }
        else
        {
            Assert.True(r.HasPeer, $"{role}: PEER missing");
            Assert.Equal(peer.GetUInt32(), r.Peer);
        }

        if (e.TryGetProperty("icons", out var icons))
        {
            Assert.Equal(icons.EnumerateArray().Select(i => i.GetUInt32()), r.Icons!);
            Assert.Equal(e.GetProperty("rqueue").GetUInt32(), r.RQueue);
            Assert.Equal(e.GetProperty("wqueue").GetUInt32(), r.WQueue);
        }
        else
        {
            // ICONS is only sent for listeners, even when asked for.
            Assert.Null(r.Icons);
        }

        Assert.True(r.HasRqLen, $"{role}: RQLEN missing");
        Assert.True(r.HasShutdown, $"{role}: SHUTDOWN missing");
        Assert.Equal(0, r.Shutdown);
        Assert.True(r.HasUid, $"{role}: UID missing");
        Assert.Equal(e.GetProperty("uid").GetUInt32(), r.Uid);
    }

    [Fact]
    public void Replay_joins_listener_accepted_client_and_pair_as_the_notes_describe()
    {
        var fixture = DiagFixture.Load(Small);
        var result = new DiagDump().Dump(Replaying(fixture), fixture.States, (UnixDiagShow)fixture.Show);
        uint Ino(string role) => fixture.Sidecar.GetProperty("sockets").GetProperty(role).GetProperty("inode").GetUInt32();
        var r = result.Records.ToDictionary(x => x.Inode);

        var listener = r[Ino("listener")];
        var accepted = r[Ino("accepted")];
        var client = r[Ino("client")];
        // Accepted sockets carry the listener's NAME and VFS; client and accepted name each other.
        Assert.Equal(listener.Name, accepted.Name);
        Assert.Equal((listener.VfsDevice, listener.VfsInode), (accepted.VfsDevice, accepted.VfsInode));
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        // The pending client is on the listener's ICONS, with PEER 0 (the server half has no inode yet).
        Assert.Equal([Ino("pending")], listener.Icons!);
        Assert.Equal(0u, r[Ino("pending")].Peer);
        Assert.True(r[Ino("pending")].HasPeer);
        // The abstract name keeps its inner NUL.
        Assert.Equal("\0sockpeer\0fixture", System.Text.Encoding.ASCII.GetString(r[Ino("abstract_dgram")].Name!));
    }
}
