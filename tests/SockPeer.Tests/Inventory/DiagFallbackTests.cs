using System.Net.Sockets;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// SocketInventoryReader with a scripted sock_diag (InventoryOptions.Channels) and the real /proc:
/// without unix_diag it falls back to /proc/net/unix, says that peers are unknown, and still finds
/// this process's sockets.
/// </summary>
public sealed class DiagFallbackTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-fallback-").FullName;
    private readonly Socket _listener;
    private readonly Socket _client;
    private readonly Socket _accepted;

    public DiagFallbackTests()
    {
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(ListenerPath));
        _listener.Listen(4);
        _client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _client.Connect(new UnixDomainSocketEndPoint(ListenerPath));
        _accepted = _listener.Accept();
    }

    private string ListenerPath => Path.Combine(_dir, "l.sock");

    public void Dispose()
    {
        _accepted.Dispose();
        _client.Dispose();
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int Fd(Socket s) => (int)s.SafeHandle.DangerousGetHandle();

    private static uint Inode(Socket s)
    {
        string target = new FileInfo($"/proc/self/fd/{Fd(s)}").LinkTarget!;
        Assert.True(SockPeer.Proc.ProcParsers.TryParseSocketLink(System.Text.Encoding.ASCII.GetBytes(target), out uint inode), target);
        return inode;
    }

    private void AssertFellBack(SocketInventory inventory, string reason)
    {
        Assert.False(inventory.PeersKnown);
        Assert.Contains(inventory.Warnings, w => w.Contains("/proc/net/unix", StringComparison.Ordinal) && w.Contains(reason, StringComparison.Ordinal));
        Assert.All(inventory.Sockets, s => Assert.Null(s.Peer));

        var listener = inventory.Find(Inode(_listener));
        Assert.NotNull(listener);
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketType.Stream, listener.Type);
        Assert.Equal(ListenerPath, listener.Name);

        var accepted = inventory.Find(Inode(_accepted));
        Assert.NotNull(accepted);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(ListenerPath, accepted.Name);

        var client = inventory.Find(Inode(_client));
        Assert.NotNull(client);
        Assert.Null(client.Name);
    }

    private static InventoryOptions Options(IDiagChannelFactory channels, bool holders = false)
        => new() { Channels = channels, ResolveHolders = holders, CheckFiles = false };

    [Fact]
    public void Nlmsg_error_enoent_on_the_first_dump_falls_back_to_proc_net_unix()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, Errno.ENOENT));

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        AssertFellBack(inventory, "ENOENT");
        Assert.True(channel.Disposed);
        Assert.Single(channel.Requests);
    }

    [Fact]
    public void Receive_failing_with_enoent_falls_back_to_proc_net_unix()
    {
        var channel = new ScriptedDiagChannel().Fail(Errno.ENOENT);

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        AssertFellBack(inventory, "ENOENT");
        Assert.True(channel.Disposed);
    }

    [Fact]
    public void Channel_that_cannot_be_opened_falls_back_to_proc_net_unix()
    {
        var factory = new ScriptedChannelFactory(new DiagUnavailableException("cannot open a NETLINK_SOCK_DIAG socket: EPROTONOSUPPORT", Errno.EPROTONOSUPPORT));

        var inventory = new SocketInventoryReader(Options(factory)).Read();

        AssertFellBack(inventory, "EPROTONOSUPPORT");
        Assert.Equal(1, factory.Opened);
    }

    [Fact]
    public void Fallback_still_maps_holders_from_the_real_proc()
    {
        var channel = new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, Errno.ENOENT));

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel), holders: true)).Read();

        AssertFellBack(inventory, "ENOENT");
        var listener = inventory.Find(Inode(_listener))!;
        Assert.Contains(new SocketHolder(Environment.ProcessId, Fd(_listener)), listener.Holders);
        Assert.NotNull(inventory.FindProcess(Environment.ProcessId));
    }

    [Fact]
    public void Each_read_opens_a_new_channel_and_falls_back_again()
    {
        var factory = new ScriptedChannelFactory(
            new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, Errno.ENOENT)),
            new ScriptedDiagChannel().Reply(seq => Nl.Error(seq, Errno.ENOENT)));
        var reader = new SocketInventoryReader(Options(factory));

        AssertFellBack(reader.Read(), "ENOENT");
        AssertFellBack(reader.Read(), "ENOENT");
        Assert.Equal(2, factory.Opened);
    }

    // With sock_diag working (scripted), the reader joins what the dumps say.

    private const uint Listener = 4_000_000_001;
    private const uint Pending = 4_000_000_002;
    private const uint Client = 4_000_000_003;
    private const uint Accepted = 4_000_000_004;

    private static byte[] Name => "\0sockpeer-fake"u8.ToArray();

    private static ScriptedDiagChannel MainDump(ScriptedDiagChannel channel) => channel.Reply(
        seq => Nl.Record(seq, Listener, state: UnixDiagState.Listen,
            extra: [Nl.Attr(UnixDiagAttribute.Name, Name), Nl.Attr(UnixDiagAttribute.RqLen, Nl.U32(1, 16))]),
        seq => Nl.Record(seq, Pending, peer: 0),
        seq => Nl.Record(seq, Accepted, peer: Client, extra: Nl.Attr(UnixDiagAttribute.Name, Name)),
        seq => Nl.Record(seq, Client, peer: Accepted),
        seq => Nl.Done(seq));

    private static byte[] ListenerIcons(uint seq, ushort flags = Nl.Multi) => Nl.Record(seq, Listener, state: UnixDiagState.Listen, flags: flags,
        extra: [Nl.Attr(UnixDiagAttribute.Icons, Nl.U32(Pending)), Nl.Attr(UnixDiagAttribute.RqLen, Nl.U32(1, 16))]);

    [Fact]
    public void Listener_dump_refused_keeps_peers_and_warns_that_pending_clients_are_unknown()
    {
        var channel = MainDump(new ScriptedDiagChannel()).Reply(seq => Nl.Error(seq, Errno.ENOENT));

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        Assert.True(inventory.PeersKnown);
        Assert.Contains(inventory.Warnings, w => w.StartsWith("pending connections are unknown", StringComparison.Ordinal));
        Assert.Equal(Client, inventory.Find(Accepted)!.Peer);
        Assert.Equal(Listener, inventory.Find(Accepted)!.Listener);
        Assert.Empty(inventory.Find(Listener)!.Pending);
        Assert.Equal(1u, inventory.Find(Listener)!.PendingCount);
        Assert.Equal(2, channel.Requests.Count);
        Assert.Equal(UnixDiagState.ListenOnly, BitConverter.ToUInt32(channel.Requests[1], 20));
    }

    [Fact]
    public void Pending_clients_come_from_the_listener_dump()
    {
        var channel = MainDump(new ScriptedDiagChannel()).Reply(seq => ListenerIcons(seq), seq => Nl.Done(seq));

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        Assert.True(inventory.PeersKnown);
        Assert.Equal([Pending], inventory.Find(Listener)!.Pending);
        Assert.Equal(Listener, inventory.Find(Pending)!.PendingOn);
        Assert.Null(inventory.Find(Pending)!.Peer);
        Assert.DoesNotContain(inventory.Warnings, w => w.Contains("pending", StringComparison.Ordinal));
    }

    [Fact]
    public void Listener_missing_from_the_listener_dump_is_asked_for_by_inode()
    {
        var channel = MainDump(new ScriptedDiagChannel())
            .Reply(seq => Nl.Done(seq))                       // the listener dump ends early
            .Reply(seq => ListenerIcons(seq, flags: 0));      // the single query answers

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        Assert.Equal(3, channel.Requests.Count);
        Assert.Equal(0x1, BitConverter.ToUInt16(channel.Requests[2], 6)); // NLM_F_REQUEST, no dump
        Assert.Equal(Listener, BitConverter.ToUInt32(channel.Requests[2], 24));
        Assert.Equal([Pending], inventory.Find(Listener)!.Pending);
        Assert.False(inventory.Find(Listener)!.PendingPartial);
    }

    [Fact]
    public void Listener_query_refused_marks_the_pending_list_partial()
    {
        var channel = MainDump(new ScriptedDiagChannel())
            .Reply(seq => Nl.Done(seq))
            .Reply(seq => Nl.Error(seq, Errno.EMSGSIZE));     // too many pending clients for one reply

        var inventory = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel))).Read();

        Assert.True(inventory.Find(Listener)!.PendingPartial);
        Assert.Contains(inventory.Warnings, w => w.Contains("more pending connections than the kernel can list", StringComparison.Ordinal));
    }
}
