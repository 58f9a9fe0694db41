using System.Net;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>
/// One scene and one running sockpeer-serve for <see cref="FilterAgreementTests"/>: a stream
/// listener with a connection whose client a child holds, a second listener with a client that
/// another child holds and that waits unaccepted, a bound datagram socket and a seqpacket pair.
/// </summary>
public sealed class FilterAgreementScene : IDisposable
{
    public SocketScene Scene { get; } = SocketScene.Build()
        .Listen("stream")
        .Connect("stream", heldBy: Holder.Child, accept: 1)
        .Listen("waiting")
        .Connect("waiting", heldBy: Holder.Child)
        .Bind("dgram")
        .Pair("seq", SceneType.SeqPacket)
        .Start();

    public ServeProcess Serve { get; }

    public HttpClient Http { get; }

    public FilterAgreementScene()
    {
        Serve = ServeProcess.Start([]);
        Http = Serve.Client();
        Serve.WaitHealthy(Http);
    }

    /// <summary>The scene's sockets by the names the cases use.</summary>
    public uint Inode(string name) => name switch
    {
        "listener" => Scene.Socket("stream").Inode,
        "accepted" => Scene.Connection("stream").Accepted!.Inode,
        "client" => Scene.Connection("stream").Client.Inode,
        "waiting" => Scene.Socket("waiting").Inode,
        "pending" => Scene.Connection("waiting").Client.Inode,
        "dgram" => Scene.Socket("dgram").Inode,
        "seq1" => Scene.Pair("seq").A.Inode,
        "seq2" => Scene.Pair("seq").B.Inode,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    public static readonly string[] Names = ["listener", "accepted", "client", "waiting", "pending", "dgram", "seq1", "seq2"];

    /// <summary>Replaces the scene's words in a value: {dir}, {P} (the scene), {C} (the connected client's child), {W} (the waiting client's child), {uid}, {user}, {stream.sock} (the listener's file name).</summary>
    public string Fill(string value) => value
        .Replace("{dir}", Scene.Dir, StringComparison.Ordinal)
        .Replace("{P}", Scene.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{C}", Scene.Connection("stream").Client.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{W}", Scene.Connection("waiting").Client.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{uid}", HostFacts.CurrentUid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{user}", HostFacts.UserName(HostFacts.CurrentUid) ?? HostFacts.CurrentUid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{stream.sock}", Path.GetFileName(Scene.Socket("stream").Path!), StringComparison.Ordinal);

    public void Dispose()
    {
        Http.Dispose();
        Serve.Dispose();
        Scene.Dispose();
    }
}

/// <summary>
/// The filter vocabulary means the same on the command line (`sockpeer list --json`, the published
/// binary) and over HTTP (serve's /api/snapshot): each case runs through both on one scene, and both
/// must select the same of the scene's sockets, the ones the scene's own processes make true; every
/// bad value is refused by both (a usage error, exit 2, or for a user name no database knows exit 1,
/// and HTTP 400).
/// </summary>
public sealed class FilterAgreementTests(FilterAgreementScene s) : IClassFixture<FilterAgreementScene>
{
    private const string All = "listener accepted client waiting pending dgram seq1 seq2";

    /// <summary>Filters as "name=value" (a name may repeat), and the scene sockets they select; null: only that both agree.</summary>
    public static TheoryData<string[], string?> Selecting() => new()
    {
        { ["pid={P}"], All },
        { ["pid={C}"], "client accepted" },
        { ["pid={W}"], "pending waiting" }, // a pending client selects the listener it waits on
        { ["pid={C},{W}"], "client accepted pending waiting" },
        { ["pid={C}", "pid={W}"], "client accepted pending waiting" },
        { ["type=stream"], "listener accepted client waiting pending" },
        { ["type=STREAM"], "listener accepted client waiting pending" },
        { ["type=dgram"], "dgram" },
        { ["type=datagram"], "dgram" },
        { ["type=DataGram"], "dgram" },
        { ["type=SeqPacket,dgram"], "dgram seq1 seq2" },
        { ["state=listen"], "listener waiting" },
        { ["state=LISTENING"], "listener waiting" },
        { ["state=pair"], "seq1 seq2" },
        { ["state=Pair,listen"], "listener waiting seq1 seq2" },
        { ["state=conn"], null },
        { ["state=connected"], null },
        { ["state=pending"], null },
        { ["state=bound,unconnected"], null },
        { ["user={uid}", "pid={P}"], All },
        { ["user={user}", "pid={P}"], All },
        { ["user={user},{uid}"], All },
        { ["user=4000000000", "pid={P}"], "" },
        { ["path={dir}/*"], "listener accepted client waiting pending dgram" },
        { ["path={stream.sock}"], "listener accepted client" },
        { ["path=*/[s]tream*", "type=stream"], "listener accepted client" },
        { ["path={dir}/nothing-here-*"], "" },
        { ["type=stream", "state=listen", "pid={P}"], "listener waiting" },
    };

    public static TheoryData<string[]> Refused() => new()
    {
        { ["pid=0"] },
        { ["pid=abc"] },
        { ["pid=-5"] },
        { ["pid=1,x"] },
        { ["pid="] },
        { ["type=raw"] },
        { ["type="] },
        { ["state=closing"] },
        { ["path=[abc"] },
        { ["path=a\\"] },
        { ["path="] },
        { ["user=nosuchuser12345"] },
    };

    [Theory]
    [MemberData(nameof(Selecting))]
    public async Task The_command_line_and_the_server_select_the_same_sockets(string[] filters, string? expected)
    {
        var pairs = Pairs(filters);
        var cli = SockpeerCli.Run(["list", .. Options(pairs), "--json"]);
        Assert.True(cli.ExitCode is 0 or 1, $"list {string.Join(' ', filters)}: exit {cli.ExitCode}: {cli.Stderr}");
        var byCli = Ours(cli.Stdout);

        using var response = await s.Http.GetAsync(Query(pairs));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/api/snapshot {string.Join('&', filters)}: {(int)response.StatusCode} {body}");
        var byServe = Ours(body);

        Assert.Equal(Named(byCli), Named(byServe));
        if (expected is not null)
        {
            Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), Named(byCli));
        }
        else
        {
            Assert.NotEmpty(byCli);
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_command_line_and_the_server_refuse_the_same_values(string[] filters)
    {
        var pairs = Pairs(filters);
        var cli = SockpeerCli.Run(["list", .. Options(pairs), "--json"]);
        bool unknownUser = pairs.Any(p => p.Name == "user");
        SockpeerCli.AssertOneErrorLine(cli, unknownUser ? 1 : 2, $"list {string.Join(' ', filters)}");

        using var response = await s.Http.GetAsync(Query(pairs));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"/api/snapshot {string.Join('&', filters)}: {(int)response.StatusCode} {body}");
        // The same words: the server's line is the command line's without the option's dashes.
        Assert.Equal(cli.Stderr.Trim().Replace("sockpeer: --", "", StringComparison.Ordinal).Replace("sockpeer: ", "", StringComparison.Ordinal), body.Trim());
    }

    private List<(string Name, string Value)> Pairs(string[] filters)
        => [.. filters.Select(f => f.Split('=', 2)).Select(f => (f[0], s.Fill(f[1])))];

    // "--pid -5" would read -5 as an option and "--pid= --json" the next word as the value: "--pid=-5", "--pid" "".
    private static IEnumerable<string> Options(List<(string Name, string Value)> pairs)
        => pairs.SelectMany(p => p.Value.StartsWith('-') ? new[] { $"--{p.Name}={p.Value}" } : [$"--{p.Name}", p.Value]);

    private static string Query(List<(string Name, string Value)> pairs)
        => "api/snapshot?" + string.Join('&', pairs.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));

    private HashSet<uint> Ours(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var ours = FilterAgreementScene.Names.Select(s.Inode).ToHashSet();
        return doc.RootElement.GetProperty("sockets").EnumerateArray().Select(x => x.GetProperty("inode").GetUInt32()).Where(ours.Contains).ToHashSet();
    }

    private List<string> Named(HashSet<uint> inodes)
        => [.. FilterAgreementScene.Names.Where(n => inodes.Contains(s.Inode(n))).Order(StringComparer.Ordinal)];
}
