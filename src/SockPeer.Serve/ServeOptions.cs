using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using SockPeer.Inventory;
using SockPeer.Serve.Filters;
using SockPeer.Views;

namespace SockPeer.Serve;

/// <summary>What `sockpeer serve` was asked to do, from its command line.</summary>
internal sealed partial record ServeOptions
{
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

    /// <summary>--collector: auto, bpf or procfs; null takes $SOCKPEER_COLLECTOR, else auto.</summary>
    public string? Collector { get; init; }
    /// <summary>--record: the journal this server keeps, and /api/history reads; null when it keeps none.</summary>
    public string? RecordFile { get; init; }

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
            if (!SockPeer.Otlp.OtlpEndpoint.TryParse(url, out otlp))
            {
                throw new UsageException($"--otlp-endpoint needs an http:// or https:// URL, not '{url}'");
            }
        }
        string protocol = parse.GetValue(OtlpProtocolOption) ?? "http/protobuf";
        if (!SockPeer.Otlp.OtlpEndpoint.Protocols.Contains(protocol))
        {
            throw new UsageException($"--otlp-protocol takes http/protobuf or grpc, not '{protocol}'");
        }
        string source = parse.GetValue(SourceOption) ?? "poll";
        if (source is not ("poll" or "ebpf" or "auto"))
        {
            throw new UsageException($"--source takes poll, ebpf or auto, not '{source}'");
        }
        string? collector = parse.GetValue(CollectorOption);
        if (collector is not (null or "auto" or "bpf" or "procfs"))
        {
            throw new UsageException($"--collector takes auto, bpf or procfs, not '{collector}'");
        }
        return new ServeOptions
        {
            Source = source,
            Collector = collector,
            RecordFile = parse.GetValue(RecordOption) is { Length: > 0 } record ? Path.GetFullPath(record) : null,
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
