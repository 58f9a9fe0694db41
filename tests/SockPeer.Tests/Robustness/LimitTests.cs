using System.Text;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>Sizes and environments at the edge: one process with 30,000 socket fds, names of the maximum length, no sock_diag and no /proc/net/unix.</summary>
[Collection(RobustnessCollection.Name)]
public class LimitTests(ITestOutputHelper output)
{
    private const int Pairs = 15_000;

    // 30,000 socket fds in one process. RLIMIT_NOFILE bounds each fd table, and a container may cap
    // the hard limit near 20,000 without CAP_SYS_RESOURCE to raise it: so the process holds them in two
    // tables, the main thread's and that of a thread that called unshare(CLONE_FILES), which the
    // scanner has to find through /proc/PID/task/TID/fd.
    private const string ManyFds = """
        import resource, threading, ctypes
        TOTAL_PAIRS = 15000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 2 * TOTAL_PAIRS + 256), max(hard, 2 * TOTAL_PAIRS + 256)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        per_table = (limit - 256) // 2
        main_pairs = min(TOTAL_PAIRS, per_table)
        thread_pairs = TOTAL_PAIRS - main_pairs
        if thread_pairs > per_table:
            ready(skip=f"RLIMIT_NOFILE {limit} is too low for {TOTAL_PAIRS} socketpairs in two fd tables")
            hold()
        thread_ends, thread_ready, thread_error = [], threading.Event(), []
        def own_table():
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.unshare(0x400) != 0:  # CLONE_FILES
                    raise OSError(ctypes.get_errno(), "unshare(CLONE_FILES)")
                pairs = [socket.socketpair() for _ in range(thread_pairs)]
                thread_ends.extend([s.fileno(), ino(s)] for pair in pairs for s in pair)
            except Exception as e:
                thread_error.append(repr(e))
            thread_ready.set()
            if not thread_error:
                threading.Event().wait()  # keep the table (and its sockets) alive
        if thread_pairs:
            threading.Thread(target=own_table, daemon=True).start()
            thread_ready.wait()
            if thread_error:
                raise RuntimeError(thread_error[0])
        pairs = [socket.socketpair() for _ in range(main_pairs)]
        ends = [[s.fileno(), ino(s)] for pair in pairs for s in pair]
        ready(ends=ends + thread_ends, main=len(ends), thread=len(thread_ends), limit=limit)
        hold()
        """;

    [SkippableFact]
    public void Thirty_thousand_socket_fds_in_one_process_are_all_listed_as_holders()
    {
        using var scenario = Scenario.Start(ManyFds, TimeSpan.FromSeconds(90));
        Skip.If(scenario.Info.TryGetProperty("skip", out var why), why.ToString());
        output.WriteLine($"RLIMIT_NOFILE {scenario.Int("limit")}: {scenario.Int("main")} fds in the main table, {scenario.Int("thread")} in a thread's own table");
        var ends = scenario.Info.GetProperty("ends").EnumerateArray().Select(e => (Fd: e[0].GetInt32(), Inode: e[1].GetUInt32())).ToArray();
        Assert.Equal(2 * Pairs, ends.Length);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();
        int missing = 0, unheld = 0;
        foreach (var (fd, inode) in ends)
        {
            var s = inventory.Find(inode);
            if (s is null)
            {
                missing++;
            }
            else if (!s.Holders.Contains(new SocketHolder(scenario.Pid, fd)))
            {
                unheld++;
            }
        }
        Assert.Equal(0, missing);
        Assert.Equal(0, unheld);
        Assert.All(ends.Chunk(2), pair => Assert.Equal(pair[1].Inode, inventory.Find(pair[0].Inode)!.Peer));

        var list = SockpeerCli.Json("list", "--pid", scenario.Pid.ToString(), "--netns", "current");
        var holders = new Dictionary<uint, HashSet<(int, int)>>();
        foreach (var s in list.GetProperty("sockets").EnumerateArray())
        {
            holders[s.GetProperty("inode").GetUInt32()] = s.Holders();
        }
        output.WriteLine($"CLI listed {holders.Count} sockets for pid {scenario.Pid}");
        Assert.All(ends, e => Assert.Contains((scenario.Pid, e.Fd), holders[e.Inode]));
        Assert.Contains(list.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scenario.Pid);
    }

    // sun_path is 108 bytes. A path may use 107 bytes plus the NUL, or all 108 (Linux adds the NUL itself);
    // an abstract name is the leading NUL plus 107 bytes, which may themselves contain NULs.
    private const string LongNames = """
        base = sys.argv[1].encode() + b"/"
        path107 = base + b"p" * (107 - len(base))
        path108 = base + b"q" * (108 - len(base))
        abstract = b"\0" + b"sockpeer-max-" + str(os.getpid()).encode() + b"-"
        abstract = abstract + b"a" * (108 - len(abstract))
        abstract_nuls = b"\0" + b"n" * 50 + b"\0" + b"m" * 54 + b"\0\0"
        assert len(path107) == 107 and len(path108) == 108 and len(abstract) == 108 and len(abstract_nuls) == 108
        import ctypes, struct
        libc = ctypes.CDLL(None, use_errno=True)
        def call(fn, s, name):
            # Python refuses a 108-byte path (it wants room for the NUL): pass the sockaddr_un to libc directly.
            addr = ctypes.create_string_buffer(struct.pack("=H", socket.AF_UNIX) + name, 110)  # sa_family, sun_path
            if fn(s.fileno(), addr, 110) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        socks = {}
        for key, name in (("path107", path107), ("path108", path108), ("abstract", abstract)):
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            call(libc.bind, srv, name)
            srv.listen(4)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            call(libc.connect, c, name)
            acc, _ = srv.accept()
            socks[key] = (srv, c, acc)
        dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        dg.bind(abstract_nuls)
        import base64
        info = {k: {"listener": ino(v[0]), "client": ino(v[1]), "accepted": ino(v[2])} for k, v in socks.items()}
        names = {"path107": path107, "path108": path108, "abstract": abstract, "abstract_nuls": abstract_nuls}
        ready(sockets=info, dgram=ino(dg), names={k: base64.b64encode(v).decode() for k, v in names.items()})
        hold()
        """;

    [Fact]
    public void Names_of_the_maximum_length_keep_their_exact_bytes()
    {
        using var scenario = Scenario.Start(LongNames);
        var names = scenario.Info.GetProperty("names");
        byte[] Name(string key) => Convert.FromBase64String(names.GetProperty(key).GetString()!);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();
        var list = SockpeerCli.Json("list", "--netns", "current");

        foreach (string key in new[] { "path107", "path108", "abstract" })
        {
            byte[] expected = Name(key);
            var sockets = scenario.Info.GetProperty("sockets").GetProperty(key);
            foreach (string role in new[] { "listener", "accepted" })
            {
                uint inode = sockets.GetProperty(role).GetUInt32();
                var s = inventory.Find(inode);
                Assert.NotNull(s);
                Assert.Equal(expected, s.NameBytes);
                Assert.Equal(Shown(expected), s.Name);
                Assert.Equal(Convert.ToBase64String(expected), list.Socket(inode).GetProperty("nameBytes").GetString());
            }
            var listener = inventory.Find(sockets.GetProperty("listener").GetUInt32())!;
            var accepted = inventory.Find(sockets.GetProperty("accepted").GetUInt32())!;
            Assert.Equal(listener.Inode, accepted.Listener);
            Assert.Equal(sockets.GetProperty("client").GetUInt32(), accepted.Peer);
            if (key.StartsWith("path", StringComparison.Ordinal))
            {
                Assert.Equal(expected.Length, Encoding.UTF8.GetByteCount(listener.Name!));
                Assert.Equal(SocketFileStatus.Ok, listener.File!.Status);
                Assert.Equal("ok", list.Socket(listener.Inode).GetProperty("file").GetProperty("status").GetString());
            }
            else
            {
                Assert.True(listener.IsAbstract);
                Assert.Equal(108, listener.NameBytes!.Length);
            }
        }

        byte[] nuls = Name("abstract_nuls");
        var dgram = inventory.Find(scenario.Inode("dgram"))!;
        Assert.Equal(nuls, dgram.NameBytes);
        Assert.Equal("@" + new string('n', 50) + "\\x00" + new string('m', 54) + "\\x00\\x00", dgram.Name);
        Assert.Equal(Convert.ToBase64String(nuls), list.Socket(dgram.Inode).GetProperty("nameBytes").GetString());
    }

    /// <summary>
    /// How a name of these tests (ASCII letters, '/', '-', digits and NULs) is shown, written out here rather
    /// than taken from the engine: an abstract name as '@' and the rest, a NUL as \x00.
    /// </summary>
    private static string Shown(byte[] name)
    {
        var text = new StringBuilder(name[0] == 0 ? "@" : "");
        foreach (byte b in name.AsSpan(name[0] == 0 ? 1 : 0))
        {
            Assert.True(b == 0 || b is (byte)'/' or (byte)'-' or (byte)'_' or (byte)'.' || char.IsAsciiLetterOrDigit((char)b), $"byte {b} is not one these tests use");
            text.Append(b == 0 ? "\\x00" : ((char)b).ToString());
        }
        return text.ToString();
    }

    /// <summary>sock_diag is unavailable: the engine falls back to /proc/net/unix.</summary>
    private sealed class NoDiag : IDiagChannelFactory
    {
        public IDiagChannel Open() => throw new DiagUnavailableException("sock_diag refused the AF_UNIX dump: ENOENT (no such file or directory)", Errno.ENOENT);
    }

    [Fact]
    public void Fallback_without_proc_net_unix_fails_with_a_clear_message()
    {
        var fakeProc = Directory.CreateTempSubdirectory("sockpeer-fakeproc-");
        try
        {
            Directory.CreateDirectory(Path.Combine(fakeProc.FullName, "thread-self", "net"));
            var reader = new SocketInventoryReader(new InventoryOptions { Channels = new NoDiag(), ProcRoot = fakeProc.FullName });
            var e = Assert.Throws<InventoryException>(reader.Read);
            output.WriteLine(e.Message);
            Assert.Contains("sock_diag is unavailable", e.Message, StringComparison.Ordinal);
            Assert.Contains("/proc/net/unix cannot be read", e.Message, StringComparison.Ordinal);
            Assert.Contains("ENOENT", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            fakeProc.Delete(recursive: true);
        }
    }

    [Fact]
    public void Fallback_reads_proc_net_unix_under_the_given_proc_root()
    {
        using var scene = SocketScene.Build().Listen("fallback").Start();
        var fakeProc = Directory.CreateTempSubdirectory("sockpeer-fakeproc-");
        try
        {
            string net = Directory.CreateDirectory(Path.Combine(fakeProc.FullName, "thread-self", "net")).FullName;
            File.WriteAllBytes(Path.Combine(net, "unix"), File.ReadAllBytes("/proc/thread-self/net/unix"));
            var inventory = new SocketInventoryReader(new InventoryOptions { Channels = new NoDiag(), ProcRoot = fakeProc.FullName }).Read();
            Assert.False(inventory.PeersKnown);
            Assert.Contains(inventory.Warnings, w => w.Contains("/proc/net/unix", StringComparison.Ordinal));
            var listener = inventory.Find(scene.Inode("fallback"));
            Assert.NotNull(listener);
            Assert.Equal(UnixSocketState.Listening, listener.State);
            Assert.Equal(scene.Socket("fallback").Path, listener.Name);
            Assert.Null(listener.Peer);
        }
        finally
        {
            fakeProc.Delete(recursive: true);
        }
    }

    // Makes socket(AF_NETLINK, ...) fail with EPROTONOSUPPORT through a seccomp filter, then execs argv[1:].
    private const string NoNetlinkExec = """
        import ctypes, os, platform, struct, sys
        arch, nr_socket = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}[platform.machine()]
        def insn(code, k, jt=0, jf=0):
            return struct.pack("HBBI", code, jt, jf, k)
        LD, JEQ, RET = 0x20, 0x15, 0x06
        prog = b"".join([
            insn(LD, 4), insn(JEQ, arch, 0, 4),          # seccomp_data.arch
            insn(LD, 0), insn(JEQ, nr_socket, 0, 2),     # seccomp_data.nr
            insn(LD, 16), insn(JEQ, 16, 1, 0),           # args[0] == AF_NETLINK
            insn(RET, 0x7FFF0000),                       # SECCOMP_RET_ALLOW
            insn(RET, 0x00050000 | 93),                  # SECCOMP_RET_ERRNO | EPROTONOSUPPORT
        ])
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        buf = ctypes.create_string_buffer(prog, len(prog))
        fprog = Fprog(len(prog) // 8, ctypes.addressof(buf))
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
            sys.exit("seccomp: " + os.strerror(ctypes.get_errno()))
        os.execv(sys.argv[1], sys.argv[1:])
        """;

    [SkippableFact]
    public void Cli_without_sock_diag_and_without_proc_net_unix_prints_one_line_and_exits_1()
    {
        Skip.IfNot(Privilege.IsRoot, "mounting over /proc in a private mount namespace needs root");
        var work = Directory.CreateTempSubdirectory("sockpeer-nodiag-");
        try
        {
            string launcher = Path.Combine(work.FullName, "nonetlink.py");
            File.WriteAllText(launcher, NoNetlinkExec.Replace("\r", ""));

            // Control: with the real /proc, the same launcher gives the /proc/net/unix fallback.
            var fallback = Run.Program("python3", [launcher, SockpeerCli.Path, "list", "--json"], TimeSpan.FromSeconds(60));
            Assert.True(fallback.Code == 0, fallback.Stderr);
            SockPeer.Tests.Json.SchemaAssert.Valid(fallback.Stdout, "list");
            using var doc = System.Text.Json.JsonDocument.Parse(fallback.Stdout);
            Assert.False(doc.RootElement.GetProperty("peersKnown").GetBoolean());
            Assert.Contains(doc.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("sockets come from /proc/net/unix", StringComparison.Ordinal));

            // An empty tmpfs over /proc, only for this process tree: no /proc/net/unix either.
            var (code, stdout, stderr) = Run.Program("unshare", ["-m", "--propagation", "private", "--", "sh", "-c",
                """mount -t tmpfs none /proc && exec python3 "$1" "$2" list --json""", "sh", launcher, SockpeerCli.Path], TimeSpan.FromSeconds(60));
            output.WriteLine($"exit {code}; stderr: {stderr}");
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("sockpeer: sock_diag is unavailable", lines[0], StringComparison.Ordinal);
            Assert.Contains("EPROTONOSUPPORT", lines[0], StringComparison.Ordinal);
            Assert.Contains("/proc/net/unix cannot be read", lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
