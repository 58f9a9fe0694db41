using System.Reflection;
using System.Text;
using System.Text.Json;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Netlink;
using SockPeer.Tests.Json;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>Names the <see cref="WarningCode"/> a test makes the engine give (see <see cref="WarningCoverageTests"/>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class FiresWarningAttribute(WarningCode code) : Attribute
{
    public WarningCode Code { get; } = code;
}

/// <summary>
/// Every warning code fires in some test: a code no test makes happen is a promise ("nothing is
/// dropped silently") that nothing checks, and a check asserted only absent passes when it never fires.
/// </summary>
public class WarningCoverageTests
{
    /// <summary>Codes fired elsewhere, each with where and why.</summary>
    private static readonly Dictionary<WarningCode, string> Elsewhere = new()
    {
    };

    [Fact]
    public void Every_warning_code_has_a_test_that_fires_it()
    {
        var fired = typeof(WarningCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static))
            .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any())
            .SelectMany(m => m.GetCustomAttributes<FiresWarningAttribute>().Select(a => a.Code))
            .ToHashSet();
        var missing = Enum.GetValues<WarningCode>().Where(c => !fired.Contains(c) && !Elsewhere.ContainsKey(c)).ToArray();
        Assert.True(missing.Length == 0, $"no test fires: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_warning_code_has_its_own_text()
    {
        var texts = Enum.GetValues<WarningCode>().Select(c => c.ToText()).ToArray();
        Assert.DoesNotContain("unknown", texts);
        Assert.Equal(texts.Length, texts.Distinct().Count());
    }
}

/// <summary>
/// The warnings that need a fault the real kernel will not give on demand: a scripted sock_diag
/// (<see cref="ScriptedDiagChannel"/>) and a fake /proc root (<see cref="InventoryOptions.ProcRoot"/>).
/// Each is checked where a program sees it (<see cref="SocketInventory.WarningDetails"/>, with its
/// code and count), as text (<see cref="SocketInventory.Warnings"/>), and in the schema-1 JSON document
/// the CLI and the server write (<see cref="SchemaJsonWriter"/>), validated against the schema. The
/// warnings real conditions can cause are seen through the CLI in <c>Cli/WarningCliTests</c>.
/// </summary>
public sealed class WarningTests : IDisposable
{
    private const ushort Interrupted = Nl.Multi | NetlinkMessageReader.FlagDumpInterrupted;

    // An empty directory as /proc: the reader's own reads of /proc (namespace, socket counts) find nothing,
    // so that only what a test scripts can warn.
    private readonly DirectoryInfo _proc = Directory.CreateTempSubdirectory("sockpeer-fakeproc-");

    public void Dispose() => _proc.Delete(recursive: true);

    private static Func<uint, byte[]> Rec(uint inode, uint? peer = null, ushort flags = Nl.Multi, byte state = UnixDiagState.Established, params byte[][] extra)
        => seq => Nl.Record(seq, inode, peer: peer, flags: flags, state: state, extra: extra);

    private SocketInventory Read(ScriptedDiagChannel channel, bool holders = false, string? procRoot = null)
        => Read(new ScriptedChannelFactory(channel), holders, procRoot);

    private SocketInventory Read(IDiagChannelFactory channels, bool holders = false, string? procRoot = null)
        => new SocketInventoryReader(Options(channels, holders, procRoot)).Read();

    private InventoryOptions Options(IDiagChannelFactory channels, bool holders = false, string? procRoot = null) => new()
    {
        Channels = channels,
        ProcRoot = procRoot ?? _proc.FullName,
        ResolveHolders = holders,
        CheckFiles = false,
        NetNs = NetNsScope.Current,
    };

    private string WriteProcFile(string relative, string text)
    {
        string path = Path.Combine(_proc.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// The warning is there once with its code, its message is among the strings, and the list
    /// document (valid per the schema) carries it in "warnings". Returns it for the caller's checks.
    /// </summary>
    internal static InventoryWarning AssertSeen(SocketInventory inventory, WarningCode code, string fragment)
    {
        var all = string.Join(" | ", inventory.WarningDetails.Select(w => $"{w.Code}: {w.Message}"));
        var warning = inventory.WarningDetails.FirstOrDefault(w => w.Code == code);
        Assert.True(warning is not null, $"no {code} warning; got: {all}");
        Assert.Contains(fragment, warning.Message, StringComparison.Ordinal);
        Assert.Contains(warning.Message, inventory.Warnings);

        using var stream = new MemoryStream();
        SchemaJsonWriter.WriteList(stream, inventory, inventory.Sockets, inventory.Processes);
        string json = Encoding.UTF8.GetString(stream.ToArray());
        SchemaAssert.Valid(json, "list");
        using var doc = JsonDocument.Parse(json);
        Assert.Contains(warning.Message, doc.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
        return warning;
    }

    [Fact]
    [FiresWarning(WarningCode.DumpIncomplete)]
    public void Dump_failing_midway_keeps_what_came_and_warns_incomplete()
    {
        var channel = new ScriptedDiagChannel()
            .Reply(Rec(10), Rec(11))
            .Reply(seq => Nl.Error(seq, Errno.ENOMEM));

        var inventory = Read(channel);

        AssertSeen(inventory, WarningCode.DumpIncomplete, "failed midway");
        Assert.Equal([10u, 11u], inventory.Sockets.Select(s => s.Inode));
    }

    [Fact]
    [FiresWarning(WarningCode.DumpInterrupted)]
    public void Dump_flagged_interrupted_warns()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10), Rec(11, flags: Interrupted), seq => Nl.Done(seq, Interrupted));

        var inventory = Read(channel);

        AssertSeen(inventory, WarningCode.DumpInterrupted, "interrupted");
        Assert.Equal([10u, 11u], inventory.Sockets.Select(s => s.Inode));
    }

    [Fact]
    [FiresWarning(WarningCode.DumpMalformed)]
    public void Malformed_record_is_skipped_with_a_warning()
    {
        static byte[] BadAttribute(uint seq) => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq,
            Nl.DiagPayload(1, 1, 20, 20, [0x10, 0x00, 0x02, 0x00, 0, 0, 0, 0])); // PEER claims 16 bytes, has 8
        var channel = new ScriptedDiagChannel().Reply(Rec(10), BadAttribute, Rec(11), seq => Nl.Done(seq));

        var inventory = Read(channel);

        AssertSeen(inventory, WarningCode.DumpMalformed, "malformed sock_diag record");
        Assert.Equal([10u, 11u], inventory.Sockets.Select(s => s.Inode));
    }

    [Fact]
    [FiresWarning(WarningCode.CountMismatch)]
    public void Fewer_sockets_dumped_than_the_kernel_counts_warns_with_the_shortfall()
    {
        // The kernel's count (UNIX + UNIX-STREAM, third column) says 5000 + 100 in use; the dump has 2.
        WriteProcFile("thread-self/net/protocols", """
            protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re sp bi br ha uh gp em
            UNIX-STREAM 1024  100      -1   NI       0   yes  kernel      y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
            UNIX      1024   5000      -1   NI       0   yes  kernel      y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
            TCP       2432     12       1   no     320   yes  kernel      y  y  y  y  y  y  y  y  y  y  y  y  y  n  y  y  y  y  y

            """);
        var channel = new ScriptedDiagChannel().Reply(Rec(10), Rec(11), seq => Nl.Done(seq));

        var inventory = Read(channel);

        var warning = AssertSeen(inventory, WarningCode.CountMismatch, "sock_diag returned 2 sockets but the kernel counts about 5100 in use");
        Assert.Equal(5098, warning.Count);
    }

    [Fact]
    public void Count_within_the_margin_does_not_warn()
    {
        WriteProcFile("thread-self/net/protocols", "protocol  size sockets\nUNIX      1024   18      -1   NI       0   yes  kernel\n");
        var channel = new ScriptedDiagChannel().Reply(Rec(10), Rec(11), seq => Nl.Done(seq));

        var inventory = Read(channel);

        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code == WarningCode.CountMismatch);
    }

    [Fact]
    [FiresWarning(WarningCode.PeersNotLookedUp)]
    public void Absent_peer_that_cannot_be_asked_for_warns()
    {
        // The dump names peer 11 but not socket 11; asking for it fails at send.
        var channel = new ScriptedDiagChannel()
            .FailSend(Errno.None)
            .FailSend(Errno.ENOBUFS)
            .Reply(Rec(10, peer: 11), seq => Nl.Done(seq));

        var inventory = Read(channel);

        AssertSeen(inventory, WarningCode.PeersNotLookedUp, "could not be looked up");
        Assert.Equal(11u, inventory.Find(10)!.Peer);
        Assert.Null(inventory.Find(11));
    }

    [Fact]
    [FiresWarning(WarningCode.PeersNotLookedUp)]
    public void More_absent_peers_than_the_lookup_limit_warns_with_the_rest_counted()
    {
        // 40 sockets naming 40 absent peers; a second dump brings none of them; 32 are asked for, 8 are not.
        var channel = new ScriptedDiagChannel();
        var main = Enumerable.Range(0, 40).Select(i => Rec(100u + (uint)i, peer: 1000u + (uint)i)).Append(seq => Nl.Done(seq)).ToArray();
        channel.Reply(main).Reply(main);
        for (int i = 0; i < 32; i++)
        {
            channel.Reply(seq => Nl.Error(seq, Errno.ENOENT));
        }

        var inventory = Read(channel);

        var warning = AssertSeen(inventory, WarningCode.PeersNotLookedUp, "8 stream peer(s) named in the dump were absent from it and not looked up");
        Assert.Equal(8, warning.Count);
    }

    private const uint Listener = 4_000_000_001;
    private const uint Pending = 4_000_000_002;

    private static ScriptedDiagChannel ListenerDump() => new ScriptedDiagChannel().Reply(
        seq => Nl.Record(seq, Listener, state: UnixDiagState.Listen, extra: [Nl.Attr(UnixDiagAttribute.Name, "\0sockpeer-fake"u8), Nl.Attr(UnixDiagAttribute.RqLen, Nl.U32(1, 16))]),
        seq => Nl.Record(seq, Pending, peer: 0),
        seq => Nl.Done(seq));

    [Fact]
    [FiresWarning(WarningCode.PendingUnknown)]
    public void Listener_dump_refused_warns_that_pending_clients_are_unknown()
    {
        var channel = ListenerDump().Reply(seq => Nl.Error(seq, Errno.ENOENT));

        var inventory = Read(channel);

        AssertSeen(inventory, WarningCode.PendingUnknown, "pending connections are unknown");
        Assert.Equal(1u, inventory.Find(Listener)!.PendingCount);
        Assert.Empty(inventory.Find(Listener)!.Pending);
    }

    [Fact]
    [FiresWarning(WarningCode.PendingPartial)]
    public void Listener_too_large_to_list_warns_that_its_pending_list_is_partial()
    {
        var channel = ListenerDump()
            .Reply(seq => Nl.Done(seq))                   // the listener dump ends without it
            .Reply(seq => Nl.Error(seq, Errno.EMSGSIZE)); // and asked for alone it does not fit

        var inventory = Read(channel);

        var warning = AssertSeen(inventory, WarningCode.PendingPartial, "1 listener(s) have more pending connections");
        Assert.Equal(1, warning.Count);
        Assert.True(inventory.Find(Listener)!.PendingPartial);
    }

    private sealed class NoDiag : IDiagChannelFactory
    {
        public IDiagChannel Open() => throw new DiagUnavailableException("cannot open a NETLINK_SOCK_DIAG socket: EPROTONOSUPPORT", Errno.EPROTONOSUPPORT);
    }

    private const string ProcNetUnix = """
        Num       RefCount Protocol Flags    Type St Inode Path
        0000000000000000: 00000002 00000000 00010000 0001 01 4000000101 /run/fake/listener.sock
        0000000000000000: 00000003 00000000 00000000 0001 03 4000000102
        0000000000000000: 00000002 00000000 00000000 0002 01 4000000103 @fake-dgram

        """;

    [Fact]
    [FiresWarning(WarningCode.ProcNetUnixFallback)]
    public void Without_sock_diag_sockets_come_from_proc_net_unix_with_a_warning()
    {
        WriteProcFile("thread-self/net/unix", ProcNetUnix);

        var inventory = Read(new NoDiag());

        AssertSeen(inventory, WarningCode.ProcNetUnixFallback, "EPROTONOSUPPORT");
        Assert.False(inventory.PeersKnown);
        Assert.Equal([4000000101u, 4000000102u, 4000000103u], inventory.Sockets.Select(s => s.Inode));
        Assert.Equal("/run/fake/listener.sock", inventory.Find(4000000101)!.Name);
        Assert.DoesNotContain(inventory.WarningDetails, w => w.Code == WarningCode.ProcNetUnixMalformed);
    }

    [Fact]
    [FiresWarning(WarningCode.ProcNetUnixMalformed)]
    public void Rows_of_proc_net_unix_that_do_not_parse_are_counted_in_a_warning()
    {
        // A name with a newline breaks its row in two: the second half is not a row.
        WriteProcFile("thread-self/net/unix", ProcNetUnix + "0000000000000000: 00000002 00000000 00010000 0001 01 4000000104 /run/fake/new\nline.sock\n");

        var inventory = Read(new NoDiag());

        var warning = AssertSeen(inventory, WarningCode.ProcNetUnixMalformed, "1 lines of /proc/net/unix could not be parsed");
        Assert.Equal(1, warning.Count);
        Assert.Equal("/run/fake/new", inventory.Find(4000000104)!.Name);
    }

    [Fact]
    [FiresWarning(WarningCode.HoldersUnknown)]
    public void Proc_that_cannot_be_listed_leaves_holders_unknown_with_a_warning()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10), seq => Nl.Done(seq));

        var inventory = Read(channel, holders: true, procRoot: Path.Combine(_proc.FullName, "absent"));

        AssertSeen(inventory, WarningCode.HoldersUnknown, "holders are unknown");
        Assert.Empty(inventory.Find(10)!.Holders);
    }

    [Fact]
    [FiresWarning(WarningCode.ProcessDetailsUnknown)]
    public void Process_details_that_cannot_be_read_are_a_warning()
    {
        var channel = new ScriptedDiagChannel().Reply(Rec(10), seq => Nl.Done(seq));
        var reader = new SocketInventoryReader(Options(new ScriptedChannelFactory(channel), procRoot: Path.Combine(_proc.FullName, "absent")) with { ReadProcessDetails = false });
        var bare = reader.Read();

        var inventory = reader.WithProcesses(bare, [Environment.ProcessId]);

        AssertSeen(inventory, WarningCode.ProcessDetailsUnknown, "process details are unknown");
        Assert.Empty(inventory.Processes);
    }
}
