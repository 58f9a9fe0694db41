using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using SockPeer.Inventory;
using SockPeer.Serve.Filters;
using SockPeer.Views;

namespace SockPeer.Serve;

/// <summary>What `sockpeer serve` was asked to do, from its command line.</summary>
internal sealed record ServeOptions
{
    /// <summary>
    /// 9747: in the Prometheus exporters' range (9100-9999); not a port of node_exporter or of any
    /// exporter we know operators to run beside it (see README, "sockpeer serve").
    /// </summary>
    public const int DefaultPort = 9747;

    public required IPEndPoint Listen { get; init; }
    public string? WebConfigFile { get; init; }
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(1);
    public int MaxListeners { get; init; } = 500;
    public Uri? OtlpEndpoint { get; init; }
    public TimeSpan OtlpInterval { get; init; } = TimeSpan.FromSeconds(15);
    public string OtlpProtocol { get; init; } = "http/protobuf";
    public bool ExposeCmdline { get; init; }
    public SocketFilter Filter { get; init; } = new();
    /// <summary>poll (snapshots only), ebpf (also count every connect and accept from the kernel; fail where it cannot), auto (ebpf where it loads).</summary>
    public string Source { get; init; } = "poll";
    public InventoryOptions Inventory { get; init; } = new() { NetNs = NetNsScope.All };

    public static readonly Option<string> ListenOption = new("--listen") { Description = $"Address and port to serve on (default 127.0.0.1:{DefaultPort}); a non-loopback address exposes process names and users to the network", DefaultValueFactory = _ => $"127.0.0.1:{DefaultPort}" };
    public static readonly Option<string?> WebConfigOption = new("--web-config") { Description = "exporter-toolkit web config file: tls_server_config (cert_file, key_file) and basic_auth_users (bcrypt)" };
    public static readonly Option<string> MinIntervalOption = new("--min-interval") { Description = "A scrape within this long of the last snapshot reuses it (default 1s; e.g. 500ms, 2s, 1m)", DefaultValueFactory = _ => "1s" };
    public static readonly Option<int> MaxListenersOption = new("--max-listeners") { Description = "Listening and datagram server sockets with their own path label; the rest fold into path=\"(other)\" (default 500)", DefaultValueFactory = _ => 500 };
    public static readonly Option<string?> OtlpEndpointOption = new("--otlp-endpoint") { Description = "Also push the metrics over OTLP to this URL (e.g. http://127.0.0.1:4318)" };
    public static readonly Option<string> OtlpIntervalOption = new("--otlp-interval") { Description = "How often to push over OTLP (default 15s)", DefaultValueFactory = _ => "15s" };
    public static readonly Option<string> OtlpProtocolOption = new("--otlp-protocol") { Description = "http/protobuf (default) or grpc", DefaultValueFactory = _ => "http/protobuf" };
    public static readonly Option<bool> ExposeCmdlineOption = new("--expose-cmdline") { Description = "Include command lines in /api/snapshot (they may hold secrets); without it cmdline is []" };
    public static readonly Option<string> SourceOption = new("--source")
    {
        Description = "poll (default): metrics from snapshots; ebpf: also count every connect and accept from the kernel (sockpeer_unix_connects_total, sockpeer_unix_accepts_total; needs root or CAP_BPF and CAP_PERFMON, and kernel BTF); auto: ebpf where it can load",
        DefaultValueFactory = _ => "poll",
    };
    public static readonly Option<string> NetNsOption = new("--netns") { Description = "Network namespaces to cover: all (default), current, a namespace inode, or a path like /run/netns/NAME", DefaultValueFactory = _ => "all" };
    public static readonly Option<string?> PidOption = new("--pid") { Description = "Only sockets with PID at either end (PID,PID for several)" };
    public static readonly Option<string?> PathOption = new("--path") { Description = "Only sockets whose name (or peer's name) matches the glob" };
    public static readonly Option<string?> TypeOption = new("--type") { Description = "stream, dgram (or datagram) or seqpacket, in any case (comma-separated for several)" };
    public static readonly Option<string?> StateOption = new("--state") { Description = "The table's words: listen, conn, pending, pair, bound, unconn, closed, inflight; or the kernel's: listening, connected, unconnected (comma-separated for several)" };
    public static readonly Option<string?> UserOption = new("--user") { Description = "Only sockets owned or held by this user (name or uid)" };

    public static IEnumerable<Option> All =>
    [
        ListenOption, WebConfigOption, MinIntervalOption, MaxListenersOption, OtlpEndpointOption, OtlpIntervalOption, OtlpProtocolOption,
        ExposeCmdlineOption, SourceOption, NetNsOption, PidOption, PathOption, TypeOption, StateOption, UserOption,
    ];

    /// <summary>Reads the options; throws <see cref="UsageException"/> with one line for a bad value.</summary>
    public static ServeOptions From(ParseResult parse)
    {
        SocketFilter filter;
        try
        {
            var values = new List<(string, string)>();
            foreach (var (name, option) in new[] { ("pid", PidOption), ("path", PathOption), ("type", TypeOption), ("state", StateOption), ("user", UserOption) })
            {
                if (parse.GetValue(option) is { } value)
                {
                    values.Add((name, value));
                }
            }
            filter = ListFilter.Parse(values, start: null, optionPrefix: "--");
        }
        catch (FilterException e)
        {
            throw new UsageException(e.Message);
        }
        int max = parse.GetValue(MaxListenersOption);
        if (max < 1)
        {
            throw new UsageException("--max-listeners needs a positive number");
        }
        Uri? otlp = null;
        if (parse.GetValue(OtlpEndpointOption) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--otlp-endpoint needs an http:// or https:// URL, not '{url}'");
            }
        }
        string protocol = parse.GetValue(OtlpProtocolOption) ?? "http/protobuf";
        if (protocol is not ("http/protobuf" or "grpc"))
        {
            throw new UsageException($"--otlp-protocol takes http/protobuf or grpc, not '{protocol}'");
        }
        string source = parse.GetValue(SourceOption) ?? "poll";
        if (source is not ("poll" or "ebpf" or "auto"))
        {
            throw new UsageException($"--source takes poll, ebpf or auto, not '{source}'");
        }
        return new ServeOptions
        {
            Source = source,
            Listen = ParseListen(parse.GetValue(ListenOption) ?? ""),
            WebConfigFile = parse.GetValue(WebConfigOption),
            MinInterval = ParseDuration("--min-interval", parse.GetValue(MinIntervalOption) ?? "1s", allowZero: true),
            MaxListeners = max,
            OtlpEndpoint = otlp,
            OtlpInterval = ParseDuration("--otlp-interval", parse.GetValue(OtlpIntervalOption) ?? "15s", allowZero: false),
            OtlpProtocol = protocol,
            ExposeCmdline = parse.GetValue(ExposeCmdlineOption),
            Filter = filter,
            Inventory = ParseNetNs(parse.GetValue(NetNsOption) ?? "all"),
        };
    }

    /// <summary>HOST:PORT, [V6]:PORT or :PORT (every address); HOST is an address or localhost.</summary>
    internal static IPEndPoint ParseListen(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            throw new UsageException($"--listen needs ADDRESS:PORT (e.g. 127.0.0.1:{DefaultPort}), not '{text}'");
        }
        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        IPAddress address = host switch
        {
            "" => IPAddress.IPv6Any,
            "localhost" => IPAddress.Loopback,
            _ when IPAddress.TryParse(host, out var parsed) => parsed,
            _ => throw new UsageException($"--listen needs an IP address or localhost before the port, not '{host}'"),
        };
        return new IPEndPoint(address, port);
    }

    /// <summary>A Prometheus-style duration: 500ms, 2s, 1m, 1h, or a number of seconds.</summary>
    internal static TimeSpan ParseDuration(string option, string text, bool allowZero)
    {
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ => (text, 1),
        };
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value * scale <= 86400 && (allowZero || value > 0))
        {
            return TimeSpan.FromSeconds(value * scale);
        }
        throw new UsageException($"{option} needs a duration such as 500ms, 2s or 1m, not '{text}'");
    }

    private static InventoryOptions ParseNetNs(string scope) => scope switch
    {
        "all" => new InventoryOptions { NetNs = NetNsScope.All },
        "current" => new InventoryOptions { NetNs = NetNsScope.Current },
        _ when scope.Length > 0 && (char.IsAsciiDigit(scope[0]) || scope[0] == '/') => new InventoryOptions { NetNs = NetNsScope.One, NetNsTarget = scope },
        _ => throw new UsageException($"--netns takes all, current, a namespace inode or a path, not '{scope}'"),
    };
}

/// <summary>A bad command line; the message is one line.</summary>
internal sealed class UsageException(string message) : Exception(message);
