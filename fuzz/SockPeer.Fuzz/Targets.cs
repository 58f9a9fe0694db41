using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SockPeer.Interop;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Fuzz;

/// <summary>One fuzz target: parse the input, check the parser's contract, throw <see cref="FuzzFinding"/> on a breach.</summary>
internal delegate void Target(ReadOnlySpan<byte> data);

/// <summary>An oracle saw a parser break its contract.</summary>
internal sealed class FuzzFinding : Exception
{
    public FuzzFinding() { }

    public FuzzFinding(string message) : base(message) { }

    public FuzzFinding(string message, Exception inner) : base(message, inner) { }
}

internal static partial class Targets
{
    public static readonly IReadOnlyDictionary<string, Target> All = new Dictionary<string, Target>(StringComparer.Ordinal)
    {
        ["netlink"] = Netlink,
        ["procnetunix"] = ProcNetUnixTarget,
        ["status"] = Status,
        ["fdinfo"] = FdInfo,
        ["cmdline"] = Cmdline,
        ["passwd"] = Passwd,
        ["dirent"] = Dirent,
        ["cgroup"] = Cgroup,
        ["socketname"] = SocketNameTarget,
        ["links"] = Links,
        ["inetdiag"] = InetDiag,
        ["endpointlinks"] = EndpointLinks,
        ["protocols"] = Protocols,
        ["stat"] = Stat,
        ["mountinfo"] = MountInfo,
        ["webconfig"] = WebConfigTarget,
        ["filter"] = Filter,
    };

    /// <summary>The engine code each target exercises, for the coverage report: a type, or Type::Method.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> CodeUnderTest = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["netlink"] = ["SockPeer.Netlink.NetlinkMessageReader", "SockPeer.Netlink.UnixDiagParser", "SockPeer.Netlink.DiagDump", "SockPeer.Netlink.SockDiagDump"],
        ["procnetunix"] = ["SockPeer.Proc.ProcNetUnix"],
        ["status"] = ["SockPeer.Proc.ProcParsers::TryParseStatus", "SockPeer.Proc.ProcParsers::TryParseDecimal", "SockPeer.Proc.ProcParsers::Trim", "SockPeer.Proc.LineEnumerator"],
        ["fdinfo"] = ["SockPeer.Proc.ProcParsers::TryParseScmFds", "SockPeer.Proc.ProcParsers::TryParseDecimal", "SockPeer.Proc.ProcParsers::Trim", "SockPeer.Proc.LineEnumerator"],
        ["cmdline"] = ["SockPeer.Proc.ProcParsers::ParseCmdline", "SockPeer.Proc.ProcParsers::ParseComm"],
        ["passwd"] = ["SockPeer.Proc.ProcParsers::ParsePasswd", "SockPeer.Proc.ProcParsers::TryParseDecimal", "SockPeer.Proc.LineEnumerator"],
        ["dirent"] = ["SockPeer.Proc.DirentReader"],
        ["cgroup"] = ["SockPeer.Proc.CgroupParser"],
        ["socketname"] = ["SockPeer.Model.SocketName"],
        ["protocols"] = ["SockPeer.Proc.ProcNetProtocols", "SockPeer.Proc.LineEnumerator"],
        ["stat"] = ["SockPeer.Proc.ProcStat"],
        ["links"] = ["SockPeer.Proc.ProcParsers::TryParseSocketLink", "SockPeer.Proc.ProcParsers::TryParseNetNsLink", "SockPeer.Proc.ProcParsers::TryParseBracketed", "SockPeer.Proc.ProcParsers::TryParseDecimal"],
        ["inetdiag"] = ["SockPeer.Netlink.InetDiagParser", "SockPeer.Netlink.InetDiagDump", "SockPeer.Netlink.SockDiagDump", "SockPeer.Model.InetAddress"],
        ["endpointlinks"] = ["SockPeer.Endpoints.EndpointParsers"],
        ["mountinfo"] = ["SockPeer.Proc.ProcMountInfo", "SockPeer.Proc.ProcParsers::TryParseNetNsLink", "SockPeer.Proc.ProcParsers::TryParseBracketed"],
        ["filter"] = ["SockPeer.Views.SocketFilterParser", "SockPeer.Views.NameGlob", "SockPeer.Views.SocketKindText", "SockPeer.Proc.ProcParsers::TryFindPasswdUid"],
        ["webconfig"] = [], // sockpeer-serve's code and YamlDotNet: afl-fuzz's edges only (--coverage counts engine sites)
    };

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFinding(what);
        }
    }

    // ---- netlink: NetlinkMessageReader, UnixDiagParser, and DiagDump over a channel that replays the input ----

    /// <summary>Contract: a value or <see cref="NetlinkFormatException"/>, never another exception.</summary>
    private static void Netlink(ReadOnlySpan<byte> data)
    {
        var reader = new NetlinkMessageReader(data);
        int messages = 0;
        try
        {
            while (reader.TryRead(out NetlinkMessage message))
            {
                messages++;
                Check(messages <= (data.Length / NetlinkMessageReader.HeaderLength) + 1, "the reader returned more messages than the datagram can hold");
                Check(message.Payload.Length <= data.Length - NetlinkMessageReader.HeaderLength, "a payload is longer than the datagram");
                try
                {
                    if (message.Type == NetlinkMessageReader.TypeError)
                    {
                        _ = NetlinkMessageReader.ReadErrorPayload(message.Payload);
                    }
                    else if (message.Type == NetlinkMessageReader.TypeSockDiagByFamily)
                    {
                        CheckRecord(message.Payload);
                    }
                }
                catch (NetlinkFormatException)
                {
                }
            }
        }
        catch (NetlinkFormatException)
        {
        }

        // The engine's own loop: dump, then single query, over a channel that replays the input.
        using var channel = new ReplayChannel(data.ToArray());
        try
        {
            DiagDumpResult result = new DiagDump().Dump(channel, UnixDiagState.All, UnixDiagShow.Name | UnixDiagShow.Peer);
            var seen = new HashSet<(uint, ulong)>();
            foreach (UnixDiagRecord r in result.Records)
            {
                Check(r.Inode != 0, "Dump returned a record with inode 0");
                Check(seen.Add((r.Inode, r.Cookie)), "Dump returned a duplicate (inode, cookie)");
            }
            Check(result.Complete == (result.Warnings.Count == 0), "Complete disagrees with Warnings");
        }
        catch (DiagUnavailableException)
        {
            // documented: the kernel refused the dump before any record
        }
        UnixDiagRecord? one = new DiagDump().QueryOne(channel, 1, ulong.MaxValue, UnixDiagShow.Name, out Errno error);
        Check(one is null || error == Errno.None, "QueryOne returned a record with an error");
    }

    private static void CheckRecord(ReadOnlySpan<byte> payload)
    {
        UnixDiagRecord r = UnixDiagParser.Parse(payload);
        Check(r.Inode == BitConverter.ToUInt32(payload[4..8]), "inode is not udiag_ino");
        if (r.Name is not null)
        {
            Check(r.Name.Length <= payload.Length - UnixDiagParser.MessageLength - 4, "name is longer than the payload");
            Check(r.Name.Length == 0 || r.Name[0] == 0 || !r.Name.AsSpan().Contains((byte)0), "a pathname kept a NUL");
            CheckDisplay(r.Name);
        }
        if (r.Icons is not null)
        {
            Check(r.Icons.Length * 4 <= payload.Length - UnixDiagParser.MessageLength - 4, "more ICONS than the payload holds");
        }
    }

    // ---- inetdiag: InetDiagParser on each message, and InetDiagDump over a channel that replays the input ----

    /// <summary>Contract: a record or <see cref="NetlinkFormatException"/>; fields are the bytes at their offsets.</summary>
    private static void InetDiag(ReadOnlySpan<byte> data)
    {
        var reader = new NetlinkMessageReader(data);
        try
        {
            while (reader.TryRead(out NetlinkMessage message))
            {
                if (message.Type != NetlinkMessageReader.TypeSockDiagByFamily)
                {
                    continue;
                }
                try
                {
                    var r = InetDiagParser.Parse(message.Payload, InetDiagRequest.Tcp);
                    Check(message.Payload.Length >= InetDiagParser.MessageLength, "a record was parsed from a short payload");
                    Check(r.Family is InetDiagParser.FamilyInet or InetDiagParser.FamilyInet6, "family is neither AF_INET nor AF_INET6");
                    Check(r.Inode == BitConverter.ToUInt32(message.Payload[68..72]), "inode is not idiag_inode");
                    Check(r.SourcePort == (message.Payload[4] << 8 | message.Payload[5]), "sport is not big-endian idiag_sport");
                    Check(r.Family != InetDiagParser.FamilyInet || r.Source.IsV4, "an IPv4 source is not v4-mapped");
                    Check(InetAddress.TryParse(r.Source.ToString(), out var back) && back == r.Source, "an address does not survive its own text");
                }
                catch (NetlinkFormatException)
                {
                }
            }
        }
        catch (NetlinkFormatException)
        {
        }
        using var channel = new ReplayChannel(data.ToArray());
        try
        {
            var warnings = new List<SockPeer.Inventory.InventoryWarning>();
            var records = new InetDiagDump().Dump(channel, InetDiagParser.FamilyInet, InetDiagRequest.Tcp, InetDiagRequest.TcpStates, warnings);
            var seen = new HashSet<(uint, ulong)>();
            foreach (var r in records)
            {
                Check(r.Inode == 0 || seen.Add((r.Inode, r.Cookie)), "Dump returned a duplicate (inode, cookie)");
            }
        }
        catch (DiagUnavailableException)
        {
        }
    }

    /// <summary>Contract: never throws; a pipe inode is what ulong.TryParse gives for the digits; a pts index what int.TryParse gives.</summary>
    private static void EndpointLinks(ReadOnlySpan<byte> data)
    {
        string text = Encoding.Latin1.GetString(data);
        if (SockPeer.Endpoints.EndpointParsers.TryParsePipeLink(data, out ulong inode))
        {
            Check(text.StartsWith("pipe:[", StringComparison.Ordinal) && text.EndsWith(']')
                && ulong.TryParse(text[6..^1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong expected) && expected == inode, "pipe inode disagrees with ulong.TryParse");
        }
        if (SockPeer.Endpoints.EndpointParsers.TryParsePtsLink(data, out int index))
        {
            Check(text.StartsWith("/dev/pts/", StringComparison.Ordinal)
                && int.TryParse(text[9..], NumberStyles.None, CultureInfo.InvariantCulture, out int expected) && expected == index, "pts index disagrees with int.TryParse");
        }
        _ = SockPeer.Endpoints.EndpointParsers.TryParseTtyIndex(data, out int tty);
        Check(tty >= 0, "negative tty-index");
        _ = SockPeer.Endpoints.EndpointParsers.TryParseFdInfoAccess(data, out var access);
        Check(access is SockPeer.Endpoints.EndpointAccess.Read or SockPeer.Endpoints.EndpointAccess.Write or SockPeer.Endpoints.EndpointAccess.ReadWrite, "access out of range");
    }

    /// <summary>A channel whose every request is answered with the fuzzed datagram once, then with an error.</summary>
    private sealed class ReplayChannel(byte[] datagram) : IDiagChannel
    {
        private bool _pending;

        public Errno Send(ReadOnlySpan<byte> request)
        {
            _pending = true;
            return Errno.None;
        }

        public Errno Receive(Span<byte> buffer, out int length, out bool truncated)
        {
            if (!_pending)
            {
                length = 0;
                truncated = false;
                return Errno.EBADF; // a blocking socket would wait here; say the channel is gone
            }
            _pending = false;
            length = Math.Min(buffer.Length, datagram.Length);
            truncated = datagram.Length > buffer.Length;
            datagram.AsSpan(0, length).CopyTo(buffer);
            return Errno.None;
        }

        public void Dispose() { }
    }

    // ---- /proc/net/protocols and /proc/PID/stat ----

    /// <summary>Contract: never throws; the count is the sum a plain split of the UNIX and UNIX-STREAM rows gives.</summary>
    private static void Protocols(ReadOnlySpan<byte> data)
    {
        bool found = ProcNetProtocols.TryParseUnixInUse(data, out long inUse);
        Check(inUse >= 0, "a negative count");
        Check(found || inUse == 0, "a count without a row");
        // Reference: split each line on spaces, as the file's columns are laid out.
        long expected = 0;
        bool any = false;
        foreach (string line in Encoding.Latin1.GetString(data).Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!line.StartsWith("UNIX", StringComparison.Ordinal) || fields.Length < 3 || (fields[0] != "UNIX" && fields[0] != "UNIX-STREAM"))
            {
                continue;
            }
            if (fields[2].All(char.IsAsciiDigit) && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long v) && expected <= long.MaxValue - v)
            {
                expected += v;
                any = true;
            }
        }
        Check(found == any && inUse == (any ? expected : 0), $"count {found}/{inUse}, reference {any}/{expected}");
    }

    /// <summary>Contract: never throws; comm lies between the first '(' and the last ')'; the start time is field 22 counted after comm.</summary>
    private static void Stat(ReadOnlySpan<byte> data)
    {
        if (!ProcStat.TryParse(data, out var comm, out int ppid, out ulong start))
        {
            return;
        }
        int open = data.IndexOf((byte)'(');
        int close = data.LastIndexOf((byte)')');
        Check(open >= 0 && close > open && comm.Length == close - open - 1, "comm is not what the parentheses enclose");
        string[] fields = Encoding.Latin1.GetString(data[(close + 1)..]).TrimStart(' ').Split(' ', '\n');
        Check(fields.Length >= 20, "a stat line with fewer than 22 fields was accepted");
        Check(int.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int refPpid) && refPpid == ppid, $"ppid {ppid} is not field 4 '{fields[1]}'");
        Check(ulong.TryParse(fields[19], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ulong reference) && reference == start, $"start time {start} is not field 22 '{fields[19]}'");
    }

    // ---- /proc/net/unix ----

    /// <summary>Contract: never throws; rows with inode 0 are skipped, rows that do not parse are counted.</summary>
    private static void ProcNetUnixTarget(ReadOnlySpan<byte> data)
    {
        List<ProcNetUnixEntry> entries = ProcNetUnix.Parse(data, out int malformed);
        int lines = data.Count((byte)'\n') + 1;
        Check(malformed >= 0 && malformed <= lines, "malformed count out of range");
        Check(entries.Count + malformed <= lines, "more rows than lines");
        // A plain reference: a regex over each line, as the file's format describes it.
        int refMalformed = 0;
        var expected = new List<ProcNetUnixEntry>();
        string[] rows = Encoding.Latin1.GetString(data).Split('\n');
        for (int i = 0; i < rows.Length; i++)
        {
            if ((i == 0 && rows[i].StartsWith("Num", StringComparison.Ordinal)) || rows[i].Length == 0)
            {
                continue;
            }
            Match m = ProcNetUnixRow.Match(rows[i]);
            if (!m.Success
                || !uint.TryParse(m.Groups[1].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint flags)
                || !uint.TryParse(m.Groups[2].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint type)
                || !uint.TryParse(m.Groups[3].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint st)
                || !uint.TryParse(m.Groups[4].Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint inode))
            {
                refMalformed++;
                continue;
            }
            byte[]? path = m.Groups[5].Success && m.Groups[5].Length > 0 ? Encoding.Latin1.GetBytes(m.Groups[5].Value) : null;
            if (path is not null && path[0] == (byte)'@')
            {
                path[0] = 0;
            }
            if (inode != 0)
            {
                expected.Add(new ProcNetUnixEntry(inode, (int)type, (int)st, (flags & 0x10000) != 0, path));
            }
        }
        Check(malformed == refMalformed, $"{malformed} malformed rows, the reference counts {refMalformed}");
        Check(entries.Count == expected.Count, $"{entries.Count} entries, the reference finds {expected.Count}");
        for (int i = 0; i < entries.Count; i++)
        {
            ProcNetUnixEntry a = entries[i], b = expected[i];
            Check(a.Inode == b.Inode && a.Type == b.Type && a.SocketState == b.SocketState && a.Listening == b.Listening
                && (a.Path is null ? b.Path is null : b.Path is not null && a.Path.AsSpan().SequenceEqual(b.Path)),
                $"entry {i} (inode {a.Inode}) differs from the reference (inode {b.Inode})");
        }
        foreach (ProcNetUnixEntry e in entries)
        {
            Check(e.Inode != 0, "an entry with inode 0 was kept");
            Check(e.Path is null || e.Path.Length > 0, "an empty path is not null");
            if (e.Path is not null)
            {
                Check(!e.Path.AsSpan().Contains((byte)'\n'), "a path holds a newline");
                CheckDisplay(e.Path);
            }
        }
    }

    // Num: RefCount Protocol Flags Type St Inode [Path]; fields split on spaces only, the path is the rest after one space.
    private static readonly Regex ProcNetUnixRow = new(
        "^ *[^ ]*: +[^ ]+ +[^ ]+ +([^ ]+) +([^ ]+) +([^ ]+) +([^ ]+)(?: (.*))?$", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    // ---- /proc/PID/status (and LineEnumerator) ----

    /// <summary>Contract: never throws; PPid and the real uid only from their own lines.</summary>
    private static void Status(ReadOnlySpan<byte> data)
    {
        CheckLines(data);
        if (ProcParsers.TryParseStatus(data, out int ppid, out uint uid))
        {
            Check(ppid >= 0, "negative PPid");
            Check(data.IndexOf("PPid:"u8) >= 0 && data.IndexOf("Uid:"u8) >= 0, "status parsed without PPid: and Uid: lines");
            Check(ContainsDecimal(data, uid), "the uid is not in the input");
        }
    }

    private static bool ContainsDecimal(ReadOnlySpan<byte> data, uint value)
        => data.IndexOf(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture))) >= 0;

    /// <summary>LineEnumerator: lines hold no '\n' and joined with '\n' give back the input (less one final '\n').</summary>
    private static void CheckLines(ReadOnlySpan<byte> data)
    {
        var joined = new List<byte>(data.Length);
        bool first = true;
        foreach (ReadOnlySpan<byte> line in new LineEnumerator(data))
        {
            Check(!line.Contains((byte)'\n'), "a line holds a newline");
            if (!first)
            {
                joined.Add((byte)'\n');
            }
            first = false;
            joined.AddRange(line);
        }
        ReadOnlySpan<byte> back = joined.ToArray();
        bool same = back.SequenceEqual(data) || (data.Length > 0 && data[^1] == (byte)'\n' && back.SequenceEqual(data[..^1]));
        Check(same, "LineEnumerator lost or added bytes");
    }

    // ---- /proc/PID/fdinfo/FD ----

    /// <summary>Contract: never throws; a count only from an <c>scm_fds:</c> line.</summary>
    private static void FdInfo(ReadOnlySpan<byte> data)
    {
        CheckLines(data);
        if (ProcParsers.TryParseScmFds(data, out int count))
        {
            Check(count >= 0, "negative scm_fds");
            Check(data.IndexOf("scm_fds:"u8) >= 0, "scm_fds parsed without its line");
        }
    }

    // ---- /proc/PID/cmdline and /proc/PID/comm ----

    /// <summary>Contract: never throws; one argument per NUL-separated field, UTF-8 with U+FFFD for bad bytes.</summary>
    private static void Cmdline(ReadOnlySpan<byte> data)
    {
        string[] args = ProcParsers.ParseCmdline(data);
        if (data.IsEmpty)
        {
            Check(args.Length == 0, "empty cmdline gave arguments");
        }
        else
        {
            ReadOnlySpan<byte> body = data[^1] == 0 ? data[..^1] : data;
            string[] expected = Encoding.UTF8.GetString(body).Split('\0');
            Check(args.AsSpan().SequenceEqual(expected), "arguments differ from a split on NUL");
        }
        string comm = ProcParsers.ParseComm(data);
        ReadOnlySpan<byte> c = !data.IsEmpty && data[^1] == (byte)'\n' ? data[..^1] : data;
        Check(comm == Encoding.UTF8.GetString(c), "comm is not the text less its newline");
        _ = SocketName.Escape(comm);
    }

    // ---- passwd ----

    /// <summary>Contract: never throws; the first entry for a uid wins; names are non-empty.</summary>
    private static void Passwd(ReadOnlySpan<byte> data)
    {
        Dictionary<uint, string> users = ProcParsers.ParsePasswd(data);
        var expected = new Dictionary<uint, string>();
        foreach (string line in Encoding.Latin1.GetString(data).Split('\n'))
        {
            string[] f = line.Split(':');
            if (f.Length >= 4 && f[0].Length > 0 && f[2].Length is > 0 and <= 10 && f[2].All(char.IsAsciiDigit)
                && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int uid))
            {
                expected.TryAdd((uint)uid, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(f[0])));
            }
        }
        Check(users.Count == expected.Count, $"{users.Count} users, a plain split finds {expected.Count}");
        foreach ((uint uid, string name) in expected)
        {
            Check(users.TryGetValue(uid, out string? got) && got == name, $"uid {uid}: name differs from a plain split");
        }
    }

    // ---- getdents64 buffers ----

    /// <summary>Contract: never throws; stops at the end or at a malformed record; names end before their NUL.</summary>
    private static void Dirent(ReadOnlySpan<byte> data)
    {
        var reader = new DirentReader(data);
        int entries = 0;
        while (reader.TryRead(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> nameZ, out byte _))
        {
            entries++;
            Check(entries <= data.Length / 20, "more entries than 20-byte records fit");
            Check(!name.Contains((byte)0), "a name holds a NUL");
            Check(nameZ.Length == name.Length + 1 && nameZ[^1] == 0 && nameZ[..^1].SequenceEqual(name), "nameZ is not name + NUL");
            _ = ProcParsers.TryParseDecimal(name, out _);
        }
        var again = new DirentReader(data);
        int count = 0;
        while (again.TryRead(out _, out byte _))
        {
            count++;
        }
        Check(count == entries, "the two TryRead overloads disagree");
    }

    // ---- /proc/PID/cgroup ----

    private static readonly string[] Runtimes = ["docker", "kubernetes", "containerd", "cri-o", "podman", "lxc", "systemd"];

    /// <summary>Contract: never throws; a known runtime; ids are 12 lowercase hex digits.</summary>
    private static void Cgroup(ReadOnlySpan<byte> data)
    {
        CheckContainer(CgroupParser.Parse(data));
        foreach (ReadOnlySpan<byte> line in new LineEnumerator(data))
        {
            CheckContainer(CgroupParser.ParsePath(Encoding.UTF8.GetString(line)));
        }
    }

    private static void CheckContainer(ContainerInfo? info)
    {
        if (info is null)
        {
            return;
        }
        Check(Runtimes.Contains(info.Runtime), $"unknown runtime '{info.Runtime}'");
        Check(info.Id is null || (info.Id.Length == 12 && info.Id.All(char.IsAsciiHexDigitLower)), $"bad container id '{info.Id}'");
        Check(info.Id is not null || info.Name is not null, "neither id nor name");
        _ = SocketName.Escape(info.Name ?? "");
    }

    // ---- socket name display ----

    /// <summary>
    /// Display and Escape never output a control character, and Display is injective: the text decodes
    /// back to the exact bytes, and a mutated copy of the name never displays the same.
    /// </summary>
    private static void SocketNameTarget(ReadOnlySpan<byte> data)
    {
        CheckDisplay(data);
        string shown = SocketName.Display(data);
        byte[] copy = data.ToArray();
        if (copy.Length == 0)
        {
            Check(shown.Length == 0 && SocketName.Display([0]) != shown, "empty name");
            return;
        }
        // A few single-byte mutations at positions picked from the input itself (cheap and deterministic).
        ReadOnlySpan<byte> replacements = [0x00, (byte)'@', (byte)'\\', (byte)'x', 0xC2, 0x80, 0xFF, 0x0A];
        uint h = 2166136261;
        foreach (byte b in data)
        {
            h = (h ^ b) * 16777619;
        }
        for (int k = 0; k < 8; k++)
        {
            int at = (int)((h >> k) % (uint)copy.Length);
            byte old = copy[at];
            byte repl = replacements[k] == old ? (byte)(old ^ 1) : replacements[k];
            copy[at] = repl;
            Check(SocketName.Display(copy) != shown, $"Display collides after changing byte {at} to 0x{repl:x2}");
            copy[at] = old;
        }
        Check(SocketName.Display(data[..^1]) != shown, "Display collides after dropping the last byte");
        Check(SocketName.Display([.. data, (byte)'\\']) != shown, "Display collides after appending a backslash");
    }

    private static void CheckDisplay(ReadOnlySpan<byte> name)
    {
        string shown = SocketName.Display(name);
        CheckPrintable(shown, "Display");
        byte[] back = DisplayDecoder.Decode(shown);
        Check(back.AsSpan().SequenceEqual(name), "Display does not decode back to the name");
        string escaped = SocketName.Escape(name);
        CheckPrintable(escaped, "Escape");
    }

    private static void CheckPrintable(string s, string what)
    {
        foreach (Rune r in s.EnumerateRunes())
        {
            Check(!Rune.IsControl(r), $"{what} output holds control character U+{r.Value:X4}");
            UnicodeCategory cat = Rune.GetUnicodeCategory(r);
            Check(cat is not (UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator), $"{what} output holds line break U+{r.Value:X4}");
            Check(r.Value is not ((>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) or 0xFEFF), $"{what} output holds bidi override U+{r.Value:X4}");
        }
    }

    // ---- fd and namespace links, and /proc directory names ----

    /// <summary>Contract: never throws; accepts exactly <c>socket:[N]</c> / <c>net:[N]</c> / a decimal, with N in range.</summary>
    private static void Links(ReadOnlySpan<byte> data)
    {
        string text = Encoding.Latin1.GetString(data);

        bool isDec = ProcParsers.TryParseDecimal(data, out int dec);
        int want = 0;
        bool refDec = data.Length is > 0 and <= 10 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out want);
        Check(isDec == refDec && dec == want, $"TryParseDecimal({text}) = {isDec}, {dec}");

        bool isSock = ProcParsers.TryParseSocketLink(data, out uint sock);
        bool refSock = Bracketed(text, "socket:[", out string digits) && uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out uint wantSock);
        Check(isSock == refSock, $"TryParseSocketLink({text}) = {isSock}");
        if (isSock)
        {
            Check(sock == uint.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture), $"TryParseSocketLink({text}) gave {sock}");
        }

        bool isNet = ProcParsers.TryParseNetNsLink(data, out ulong net);
        bool refNet = Bracketed(text, "net:[", out digits) && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        Check(isNet == refNet, $"TryParseNetNsLink({text}) = {isNet}");
        if (isNet)
        {
            Check(net == ulong.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture), $"TryParseNetNsLink({text}) gave {net}");
        }
    }

    /// <summary>PREFIX digits ']' with 1..20 ASCII digits (the parsers' own length limit).</summary>
    private static bool Bracketed(string text, string prefix, out string digits)
    {
        digits = "";
        if (!text.StartsWith(prefix, StringComparison.Ordinal) || !text.EndsWith(']'))
        {
            return false;
        }
        digits = text[prefix.Length..^1];
        return digits.Length is > 0 and <= 20 && digits.All(char.IsAsciiDigit);
    }
}
