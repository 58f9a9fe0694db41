using System.CommandLine;

namespace SockPeer.Serve;

/// <summary>
/// The options of `sockpeer serve`, in one place: sockpeer-serve parses them, and the `sockpeer`
/// command line (which links this file, without depending on the server) offers them to the shell's
/// completion and to `sockpeer serve --help`. Only System.CommandLine here.
/// </summary>
internal sealed partial record ServeOptions
{
    /// <summary>
    /// 9747: in the Prometheus exporters' range (9100-9999); not a port of node_exporter or of any
    /// exporter we know operators to run beside it (see README, "sockpeer serve").
    /// </summary>
    public const int DefaultPort = 9747;

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
    public static readonly Option<string?> CollectorOption = new("--collector") { Description = "How holders are found: bpf (one BPF pass over every process's descriptors; root), procfs (the /proc walk), or auto (default: bpf where it loads); $SOCKPEER_COLLECTOR sets the default" };
    public static readonly Option<string> NetNsOption = new("--netns") { Description = "Network namespaces to cover: all (default), current, a namespace inode, or a path like /run/netns/NAME", DefaultValueFactory = _ => "all" };
    public static readonly Option<string?> RecordOption = new("--record") { Description = "Also keep every event in this journal, as 'sockpeer record --db FILE' does (same filters); /api/history reads it" };
    public static readonly Option<string?> PidOption = new("--pid") { Description = "Only sockets with PID at either end (PID,PID for several)" };
    public static readonly Option<string?> PathOption = new("--path") { Description = "Only sockets whose name (or peer's name) matches the glob" };
    public static readonly Option<string?> TypeOption = new("--type") { Description = "stream, dgram (or datagram) or seqpacket, in any case (comma-separated for several)" };
    public static readonly Option<string?> StateOption = new("--state") { Description = "The table's words: listen, conn, pending, pair, bound, unconn, closed, inflight; or the kernel's: listening, connected, unconnected (comma-separated for several)" };
    public static readonly Option<string?> UserOption = new("--user") { Description = "Only sockets owned or held by this user (name or uid)" };

    public static IEnumerable<Option> All =>
    [
        ListenOption, WebConfigOption, MinIntervalOption, MaxListenersOption, OtlpEndpointOption, OtlpIntervalOption, OtlpProtocolOption,
        ExposeCmdlineOption, SourceOption, CollectorOption, NetNsOption, RecordOption, PidOption, PathOption, TypeOption, StateOption, UserOption,
    ];
}
