using System.Text;
using System.Text.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Endpoints;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Views;
using Xunit;

namespace SockPeer.Tests.Rendering;

/// <summary>
/// Pipes, FIFOs and TCP in-process, on endpoints built by hand over the hand-built snapshot's
/// processes: the human list / peer / who lines (<see cref="EndpointRenderer"/>) and the JSON
/// documents (<see cref="EndpointJsonWriter"/>), each valid against the schema.
/// </summary>
public class EndpointRendererTests
{
    private static readonly SocketInventory Snapshot = HandBuiltSnapshot.Build();

    private static readonly Endpoint Listener = Tcp(5000, "listen", "127.0.0.1:8080", new(7760, 7, EndpointAccess.ReadWrite)) with { Pending = 1, Backlog = 128, LocalPort = 8080 };
    private static readonly Endpoint Client = Tcp(5001, "established", "127.0.0.1:40000", new(8001, 5, EndpointAccess.ReadWrite)) with { Remote = "127.0.0.1:8080", LocalPort = 40000, RemotePort = 8080 };
    private static readonly Endpoint Server = Tcp(5002, "established", "127.0.0.1:8080", new(7767, 14, EndpointAccess.ReadWrite)) with { Remote = "127.0.0.1:40000", LocalPort = 8080, RemotePort = 40000 };
    private static readonly Endpoint Waiting = Tcp(5003, "established", "127.0.0.1:40001", new(8002, 4, EndpointAccess.ReadWrite)) with { Remote = "127.0.0.1:8080", LocalPort = 40001, RemotePort = 8080 };
    private static readonly Endpoint PipeWriter = new() { Kind = EndpointKind.Pipe, Id = 6000, State = "write", Holders = [new(1, 3, EndpointAccess.Write)] };
    private static readonly Endpoint PipeReader = new() { Kind = EndpointKind.Pipe, Id = 6000, State = "read", Holders = [new(400, 0, EndpointAccess.Read)] };
    private static readonly Endpoint LonelyWriter = new() { Kind = EndpointKind.Pipe, Id = 6001, State = "write", Holders = [new(8004, 1, EndpointAccess.Write)] };

    private static readonly EndpointConnection Accepted = new(EndpointKind.Tcp, [Client, Server]) { Listener = Listener };
    private static readonly EndpointConnection Pending = new(EndpointKind.Tcp, [Waiting]) { Listener = Listener };
    private static readonly EndpointConnection[] Connections =
        [new(EndpointKind.Tcp, [Listener]), Accepted, Pending, new(EndpointKind.Pipe, [PipeWriter, PipeReader]), new(EndpointKind.Pipe, [LonelyWriter])];

    private static Endpoint Tcp(ulong id, string state, string name, EndpointHolder holder) => new()
    {
        Kind = EndpointKind.Tcp,
        Id = id,
        State = state,
        Name = name,
        Holders = [holder],
        NetNs = HandBuiltSnapshot.HostNs,
    };

    private static string Human(Action<EndpointRenderer> write, bool color = false)
    {
        var text = new StringWriter { NewLine = "\n" };
        write(new EndpointRenderer(text, new Terminal(color), Snapshot));
        return text.ToString();
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static JsonElement Document(string definition, Action<Stream> write)
    {
        using var output = new MemoryStream();
        write(output);
        string json = Encoding.UTF8.GetString(output.ToArray());
        SchemaAssert.Valid(json, definition);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static IReadOnlyList<ProcessInfo> ProcessesOf(params Endpoint[] ends)
        => [.. Snapshot.Processes.Where(p => ends.Any(e => e.Holders.Any(h => h.Pid == p.Pid)))];

    [Fact]
    public void List_has_one_line_per_connection_in_the_unix_list_s_columns()
    {
        var lines = Lines(Human(r => r.WriteList(Connections)));
        Assert.Equal(Connections.Length, lines.Length);
        Assert.Matches(@"^tcp\s+listen\s+nginx\[7760\]:7 #5000\s+backlog 1/128\s+127\.0\.0\.1:8080$", lines[0]);
        Assert.Matches(@"^tcp\s+conn\s+curl\[8001\]:5 #5001\s+<-> nginx\[7767\]:14 #5002\s+127\.0\.0\.1:8080$", lines[1]);
        Assert.Matches(@"^tcp\s+pending\s+curl\[8002\]:4 #5003\s+--> #5000 \(not accepted yet\)\s+127\.0\.0\.1:8080$", lines[2]);
        // A pipe is one way: from the writer to the reader, whichever end the connection lists first.
        Assert.Matches(@"^pipe\s+conn\s+systemd\[1\]:3 #6000\s+--> rsyslogd\[400\]:0 #6000\s+\(pipe\)$", lines[3]);
        Assert.Matches(@"^pipe\s+open\s+oldsrv\[8004\]:1 #6001\s+--> \(no reader\)\s+\(pipe\)$", lines[4]);
    }

    [Fact]
    public void Pipe_and_fifo_rows_point_from_the_writer_to_the_reader()
    {
        var fifoWriter = PipeWriter with { Kind = EndpointKind.Fifo, Name = "/run/app.fifo" };
        var fifoReader = PipeReader with { Kind = EndpointKind.Fifo, Name = "/run/app.fifo" };
        var lonelyReader = PipeReader with { Id = 6002 };
        var lines = Lines(Human(r => r.WriteList(
            [new(EndpointKind.Pipe, [PipeReader, PipeWriter]), new(EndpointKind.Fifo, [fifoWriter, fifoReader]), new(EndpointKind.Pipe, [lonelyReader])])));
        Assert.Matches(@"^pipe\s+conn\s+systemd\[1\]:3 #6000\s+--> rsyslogd\[400\]:0 #6000\s+\(pipe\)$", lines[0]);
        Assert.Matches(@"^fifo\s+conn\s+systemd\[1\]:3 #6000\s+--> rsyslogd\[400\]:0 #6000\s+/run/app\.fifo$", lines[1]);
        Assert.Matches(@"^pipe\s+open\s+rsyslogd\[400\]:0 #6002\s+<-- \(no writer\)\s+\(pipe\)$", lines[2]);
        Assert.DoesNotContain(lines, l => l.Contains("<->", StringComparison.Ordinal));
    }

    [Fact]
    public void Colours_only_on_a_terminal()
    {
        Assert.DoesNotContain('\u001b', Human(r => r.WriteList(Connections)));
        Assert.Contains("\u001b[32mlisten\u001b[0m", Human(r => r.WriteList(Connections), color: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Peer_of_an_accepted_client_shows_the_server_end_and_the_listener_with_their_holders()
    {
        string text = Human(r => r.WritePeer(new EndpointReport(Client, Server, Listener)));
        var lines = Lines(text);
        Assert.Equal("socket    tcp #5001 established 127.0.0.1:40000 -> 127.0.0.1:8080 netns " + HandBuiltSnapshot.HostNs, lines[0]);
        Assert.StartsWith("          curl[8001]:5 readwrite  user alice  curl --unix-socket", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("peer      tcp #5002 established 127.0.0.1:8080 -> 127.0.0.1:40000", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("          nginx[7767]:14 readwrite  user www-data", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("listener  tcp #5000 listen 127.0.0.1:8080 backlog 1/128", lines[4], StringComparison.Ordinal);

        var doc = Document("endpointPeer", o => EndpointJsonWriter.WritePeer(o, Snapshot, new EndpointReport(Client, Server, Listener), ProcessesOf(Client, Server, Listener)));
        Assert.Equal("tcp", doc.GetProperty("kind").GetString());
        Assert.Equal(5001ul, doc.GetProperty("endpoint").GetProperty("id").GetUInt64());
        Assert.Equal(5002ul, doc.GetProperty("peer").GetProperty("id").GetUInt64());
        Assert.Equal(5000ul, doc.GetProperty("listener").GetProperty("id").GetUInt64());
    }

    [Fact]
    public void Peer_without_another_end_says_why()
    {
        Assert.Contains("none yet: waiting in the accept queue of #5000", Human(r => r.WritePeer(new EndpointReport(Waiting, null, Listener))), StringComparison.Ordinal);
        Assert.Contains("none: no process has the read end open", Human(r => r.WritePeer(new EndpointReport(LonelyWriter, null, null))), StringComparison.Ordinal);
        Assert.Contains("none: a listener", Human(r => r.WritePeer(new EndpointReport(Listener, null, null))), StringComparison.Ordinal);

        var doc = Document("endpointPeer", o => EndpointJsonWriter.WritePeer(o, Snapshot, new EndpointReport(LonelyWriter, null, null), ProcessesOf(LonelyWriter)));
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("peer").ValueKind);
        Assert.Equal("pipe", doc.GetProperty("kind").GetString());
    }

    [Fact]
    public void Who_lists_the_listener_and_its_connections()
    {
        var lines = Lines(Human(r => r.WriteWho("127.0.0.1:8080", [Listener], [Accepted, Pending])));
        Assert.StartsWith("listener  tcp #5000 listen 127.0.0.1:8080 backlog 1/128", lines[0], StringComparison.Ordinal);
        Assert.Contains("connections: 2", lines);
        Assert.Single(lines, l => l.Contains("<->", StringComparison.Ordinal) && l.Contains("#5001", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("(not accepted yet)", StringComparison.Ordinal));

        var doc = Document("endpointWho", o => EndpointJsonWriter.WriteWho(o, Snapshot, "127.0.0.1:8080", [Listener], [Accepted, Pending], ProcessesOf(Listener, Client, Server, Waiting)));
        Assert.Equal("127.0.0.1:8080", doc.GetProperty("target").GetString());
        Assert.Equal(5000ul, Assert.Single(doc.GetProperty("servers").EnumerateArray()).GetProperty("id").GetUInt64());
        Assert.Equal(2, doc.GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public void Who_on_an_address_nobody_serves_says_so()
    {
        Assert.Equal("127.0.0.1:9: nothing listens or is bound there now\nconnections: 0\n", Human(r => r.WriteWho("127.0.0.1:9", [], [])));
    }

    [Fact]
    public void A_list_document_carries_the_endpoints_beside_the_unix_sockets()
    {
        var sockets = Snapshot.Sockets.Where(s => s.Inode == 1003).ToList();
        var doc = Document("list", o => SchemaJsonWriter.WriteList(o, Snapshot, sockets, Snapshot.Processes, Connections));
        Assert.Equal([1003u], doc.GetProperty("sockets").InodesOf());
        var endpoints = doc.GetProperty("endpoints").EnumerateArray().ToArray();
        Assert.Equal(Connections.Length, endpoints.Length);
        Assert.Equal(5000ul, endpoints[2].GetProperty("listener").GetProperty("id").GetUInt64());
    }
}
