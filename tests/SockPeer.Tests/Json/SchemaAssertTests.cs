using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Xunit;
using Xunit.Sdk;

namespace SockPeer.Tests.Json;

public class SchemaAssertTests
{
    // A listener on /run/demo.sock with one accepted connection and one client still in the accept queue.
    private const string Listener = """
        {
          "inode": 41230, "cookie": 8812, "netns": 4026531840, "type": "stream", "state": "listening",
          "name": "/run/demo.sock", "nameBytes": "L3J1bi9kZW1vLnNvY2s=", "abstract": false,
          "file": {"device": "0:25", "inode": 1187, "status": "ok"},
          "peer": null, "listener": null, "pending": [41240], "pendingCount": 1, "backlog": 128,
          "recvQueue": 1, "sendQueue": 128, "shutdown": "none", "uid": 0,
          "holders": [{"pid": 812, "fd": 3}], "inFlightOn": null,
          "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
        }
        """;

    private const string Accepted = """
        {
          "inode": 41235, "cookie": 8815, "netns": 4026531840, "type": "stream", "state": "connected",
          "name": "/run/demo.sock", "nameBytes": "L3J1bi9kZW1vLnNvY2s=", "abstract": false,
          "file": {"device": "0:25", "inode": 1187, "status": "ok"},
          "peer": 41236, "listener": 41230, "pending": [], "pendingCount": null, "backlog": null,
          "recvQueue": 0, "sendQueue": 0, "shutdown": "none", "uid": 0,
          "holders": [{"pid": 812, "fd": 5}], "inFlightOn": null,
          "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
        }
        """;

    private const string Client = """
        {
          "inode": 41236, "cookie": 8814, "netns": 4026531840, "type": "stream", "state": "connected",
          "name": null, "nameBytes": null, "abstract": false, "file": null,
          "peer": 41235, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
          "recvQueue": 0, "sendQueue": 0, "shutdown": "write", "uid": 1000,
          "holders": [{"pid": 901, "fd": 3}], "inFlightOn": null,
          "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
        }
        """;

    private const string PendingClient = """
        {
          "inode": 41240, "cookie": 8820, "netns": 4026531840, "type": "stream", "state": "connected",
          "name": null, "nameBytes": null, "abstract": false, "file": null,
          "peer": null, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
          "recvQueue": 0, "sendQueue": 0, "shutdown": "none", "uid": 1000,
          "holders": [{"pid": 902, "fd": 3}], "inFlightOn": null,
          "socketpair": false, "pendingOn": 41230, "pendingPartial": false, "clients": [], "inFlight": false
        }
        """;

    private const string Stale = """
        {
          "inode": 39001, "cookie": 7001, "netns": 4026531840, "type": "stream", "state": "listening",
          "name": "/run/demo.sock", "nameBytes": "L3J1bi9kZW1vLnNvY2s=", "abstract": false,
          "file": {"device": "0:25", "inode": 1002, "status": "replaced"},
          "peer": null, "listener": null, "pending": [], "pendingCount": 0, "backlog": 4096,
          "recvQueue": 0, "sendQueue": 4096, "shutdown": "none", "uid": 0,
          "holders": [{"pid": 640, "fd": 7}], "inFlightOn": null
        }
        """;

    private const string Processes = """
        [
          {"pid": 812, "ppid": 1, "command": "demo-server", "cmdline": ["/usr/bin/demo-server", "--listen", "/run/demo.sock"],
           "uid": 0, "user": "root", "netns": 4026531840, "container": null},
          {"pid": 901, "ppid": 855, "command": "curl", "cmdline": ["curl", "--unix-socket", "/run/demo.sock", "http://x/"],
           "uid": 1000, "user": "alice", "netns": 4026531840, "container": null},
          {"pid": 902, "ppid": 855, "command": "curl", "cmdline": [],
           "uid": 1000, "user": null, "netns": null,
           "container": {"runtime": "docker", "id": "3f1c0a9e2b7d", "name": null}}
        ]
        """;

    private const string ValidList = $$"""
        {
          "schema": 1,
          "peersKnown": true,
          "sockets": [
            {{Listener}},
            {{Accepted}},
            {{Client}},
            {{PendingClient}},
            {
              "inode": 30001, "cookie": 18446744073709551615, "netns": 4026531840, "type": "stream", "state": "listening",
              "name": "@dbus-abc", "nameBytes": "AGRidXMtYWJj", "abstract": true, "file": null,
              "peer": null, "listener": null, "pending": [], "pendingCount": 0, "backlog": 4096,
              "recvQueue": 0, "sendQueue": 4096, "shutdown": "none", "uid": null,
              "holders": [{"pid": 812, "fd": 9}], "inFlightOn": null,
              "socketpair": false, "pendingOn": null, "pendingPartial": true, "clients": [], "inFlight": false
            },
            {
              "inode": 30002, "cookie": 9001, "netns": null, "type": "dgram", "state": "unconnected",
              "name": "/tmp/we\\xffird\\n", "nameBytes": "L3RtcC93Zf9pcmQK", "abstract": false,
              "file": {"device": "259:3", "inode": 18446744073709551615, "status": "deleted"},
              "peer": null, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 768, "sendQueue": 0, "shutdown": "none", "uid": 0,
              "holders": [{"pid": 812, "fd": 10}], "inFlightOn": null,
              "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [30003], "inFlight": false
            },
            {
              "inode": 30003, "cookie": 9002, "netns": null, "type": "dgram", "state": "connected",
              "name": null, "nameBytes": null, "abstract": false, "file": null,
              "peer": 30002, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 0, "sendQueue": 0, "shutdown": "none", "uid": 1000,
              "holders": [{"pid": 901, "fd": 4}], "inFlightOn": null,
              "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
            },
            {
              "inode": 50001, "cookie": 9101, "netns": 4026531840, "type": "seqpacket", "state": "connected",
              "name": null, "nameBytes": null, "abstract": false, "file": null,
              "peer": 50002, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 1, "sendQueue": 0, "shutdown": "none", "uid": 0,
              "holders": [{"pid": 812, "fd": 11}], "inFlightOn": null,
              "socketpair": true, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
            },
            {
              "inode": 50002, "cookie": 9102, "netns": 4026531840, "type": "seqpacket", "state": "connected",
              "name": null, "nameBytes": null, "abstract": false, "file": null,
              "peer": 50001, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 0, "sendQueue": 0, "shutdown": "both", "uid": 0,
              "holders": [], "inFlightOn": 50001,
              "socketpair": true, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": true
            },
            {
              "inode": 50003, "cookie": 9103, "netns": 4026531840, "type": "stream", "state": "connected",
              "name": "@", "nameBytes": "AA==", "abstract": true, "file": null,
              "peer": 0, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 0, "sendQueue": 0, "shutdown": "read", "uid": 0,
              "holders": [{"pid": 812, "fd": 12}, {"pid": 901, "fd": 0}], "inFlightOn": null
            }
          ],
          "processes": {{Processes}},
          "warnings": ["cannot read /proc/4242/fd: Permission denied"]
        }
        """;

    private const string ValidPeer = $$"""
        {
          "schema": 1,
          "socket": {{Client}},
          "peer": {{Accepted}},
          "listener": {{Listener}},
          "processes": {{Processes}},
          "warnings": []
        }
        """;

    private const string ValidWho = $$"""
        {
          "schema": 1,
          "path": "/run/demo.sock",
          "listeners": [{{Listener}}],
          "stale": [{{Stale}}],
          "connections": [{"server": {{Accepted}}, "client": {{Client}}}, {"server": {{Accepted}}, "client": null}],
          "pending": [{{PendingClient}}],
          "processes": {{Processes}},
          "warnings": []
        }
        """;

    [Fact]
    public void Valid_list_document_passes() => SchemaAssert.Valid(ValidList, "list");

    [Fact]
    public void Valid_peer_document_passes() => SchemaAssert.Valid(ValidPeer, "peer");

    [Fact]
    public void Peer_document_without_peer_or_listener_passes() =>
        SchemaAssert.Valid(Mutate(ValidPeer, d => { d["peer"] = null; d["listener"] = null; }), "peer");

    [Fact]
    public void Valid_who_document_passes() => SchemaAssert.Valid(ValidWho, "who");

    [Fact]
    public void Empty_who_document_passes() => SchemaAssert.Valid(
        """{"schema": 1, "path": "@nothing", "listeners": [], "stale": [], "connections": [], "pending": [], "processes": [], "warnings": []}""",
        "who");

    [Fact]
    public void Socket_and_process_defs_are_usable_alone()
    {
        SchemaAssert.Valid(Listener, "socket");
        SchemaAssert.Valid(Stale, "socket");
        SchemaAssert.Valid("""{"pid": 1, "ppid": 0, "command": "systemd", "cmdline": ["/sbin/init"], "uid": 0, "user": "root", "netns": 4026531840}""", "process");
        SchemaAssert.Valid("""{"pid": 1, "fd": 0}""", "holder");
        SchemaAssert.Valid("""{"device": "8:1", "inode": 2, "status": "unknown"}""", "file");
    }

    [Fact]
    public void Examples_in_schema_md_are_valid()
    {
        var markdown = File.ReadAllText(FindInRepository("docs/schema.md"));
        var examples = Regex.Matches(markdown, @"<!-- validate: (\w+) -->\s*```json\n(.*?)\n```", RegexOptions.Singleline);
        Assert.True(examples.Count >= 4, $"expected the examples of docs/schema.md, found {examples.Count}");
        foreach (Match example in examples)
        {
            SchemaAssert.Valid(example.Groups[2].Value, example.Groups[1].Value);
        }
    }

    [Fact]
    public void Added_fields_are_allowed() =>
        SchemaAssert.Valid(Mutate(ValidList, d =>
        {
            d["generatedBy"] = "sockpeer 1.1";
            Socket(d, 0)["someFutureField"] = new JsonArray(1, 2);
        }), "list");

    [Fact]
    public void Documents_pass_the_root_schema()
    {
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, SchemaAssert.SchemaFileName)));
        foreach (var json in new[] { ValidList, ValidPeer, ValidWho })
        {
            Assert.True(schema.Evaluate(JsonNode.Parse(json), new EvaluationOptions()).IsValid);
        }

        Assert.False(schema.Evaluate(JsonNode.Parse("""{"schema": 1}"""), new EvaluationOptions()).IsValid);
    }

    [Fact]
    public void Schema_file_is_valid_draft_2020_12()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, SchemaAssert.SchemaFileName));
        var results = MetaSchemas.Draft202012.Evaluate(JsonNode.Parse(text), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid, string.Join("\n", results.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void Wrong_socket_type_fails_and_names_the_location()
    {
        var json = Mutate(ValidList, d => Socket(d, 2)["type"] = "raw");
        var e = Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(json, "list"));
        Assert.Contains("/sockets/2/type", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_required_field_fails()
    {
        var json = Mutate(ValidList, d => Socket(d, 1).Remove("cookie"));
        var e = Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(json, "list"));
        Assert.Contains("cookie", e.Message, StringComparison.Ordinal);
        Assert.Contains("/sockets/1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_document_field_fails() =>
        Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(Mutate(ValidList, d => d.Remove("peersKnown")), "list"));

    [Fact]
    public void Schema_version_2_fails() =>
        Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(Mutate(ValidList, d => d["schema"] = 2), "list"));

    [Fact]
    public void Document_checked_against_the_wrong_def_fails() =>
        Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(ValidList, "who"));

    [Theory]
    [InlineData("state", "\"closing\"")]
    [InlineData("shutdown", "\"rw\"")]
    [InlineData("inode", "-1")]
    [InlineData("inode", "4294967296")]
    [InlineData("inode", "1.5")]
    [InlineData("inode", "\"41236\"")]
    [InlineData("cookie", "18446744073709551616")]
    [InlineData("cookie", "null")]
    [InlineData("netns", "\"net:[4026531840]\"")]
    [InlineData("uid", "-1")]
    [InlineData("abstract", "null")]
    [InlineData("peer", "-1")]
    [InlineData("listener", "false")]
    [InlineData("holders", "[{\"pid\": 0, \"fd\": 3}]")]
    [InlineData("holders", "[{\"pid\": 901}]")]
    [InlineData("pending", "null")]
    [InlineData("pending", "[\"41240\"]")]
    [InlineData("recvQueue", "null")]
    [InlineData("inFlightOn", "\"41230\"")]
    [InlineData("inFlight", "\"no\"")]
    [InlineData("clients", "null")]
    public void Bad_socket_field_fails(string field, string value) =>
        Fails(Mutate(ValidList, d => Socket(d, 2)[field] = JsonNode.Parse(value)), "/sockets/2/" + field);

    [Theory]
    [InlineData("/run/demo\u0001.sock")]
    [InlineData("/run/demo\n.sock")]
    [InlineData("/run/demo\u007f.sock")]
    [InlineData("/run/demo\u0085.sock")]
    [InlineData("/run/demo\u2028.sock")]
    [InlineData("/run/demo\u202e.sock")]
    [InlineData("/run/demo\ufeff.sock")]
    public void Name_with_a_control_character_fails(string name) =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["name"] = name), "/sockets/0/name");

    [Fact]
    public void NameBytes_that_is_not_base64_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["nameBytes"] = "not base64!"), "/sockets/0/nameBytes");

    [Fact]
    public void Bad_file_status_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["file"]!["status"] = "gone"), "/sockets/0/file/status");

    [Fact]
    public void Bad_file_device_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["file"]!["device"] = "0x19"), "/sockets/0/file/device");

    [Fact]
    public void Abstract_name_without_at_sign_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 4)["name"] = "dbus-abc"), "/sockets/4/name");

    [Fact]
    public void Abstract_nameBytes_without_leading_nul_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 4)["nameBytes"] = "ZGJ1cy1hYmM="), "/sockets/4/nameBytes");

    [Fact]
    public void Path_nameBytes_with_leading_nul_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["nameBytes"] = "AGRidXMtYWJj"), "/sockets/0/nameBytes");

    [Fact]
    public void Abstract_socket_with_a_file_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 4)["file"] = JsonNode.Parse("""{"device": "0:25", "inode": 3, "status": "ok"}""")), "/sockets/4/file");

    [Fact]
    public void Name_and_nameBytes_must_be_null_together() =>
        Fails(Mutate(ValidList, d => Socket(d, 1)["nameBytes"] = null), "/sockets/1/nameBytes");

    [Fact]
    public void Listener_fields_on_a_non_listener_fail()
    {
        Fails(Mutate(ValidList, d => Socket(d, 2)["backlog"] = 128), "/sockets/2/backlog");
        Fails(Mutate(ValidList, d => Socket(d, 2)["pendingCount"] = 0), "/sockets/2/pendingCount");
        Fails(Mutate(ValidList, d => Socket(d, 2)["pending"] = new JsonArray(1)), "/sockets/2/pending");
    }

    [Fact]
    public void Listener_with_a_peer_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["peer"] = 41236), "/sockets/0/peer");

    [Fact]
    public void Fallback_list_without_sock_diag_passes() => SchemaAssert.Valid(
        """
        {
          "schema": 1, "peersKnown": false,
          "sockets": [
            {
              "inode": 41230, "cookie": 0, "netns": null, "type": "stream", "state": "listening",
              "name": "/run/demo.sock", "nameBytes": "L3J1bi9kZW1vLnNvY2s=", "abstract": false, "file": null,
              "peer": null, "listener": null, "pending": [], "pendingCount": null, "backlog": null,
              "recvQueue": 0, "sendQueue": 0, "shutdown": "none", "uid": null,
              "holders": [{"pid": 812, "fd": 3}], "inFlightOn": null,
              "socketpair": false, "pendingOn": null, "pendingPartial": false, "clients": [], "inFlight": false
            }
          ],
          "processes": [],
          "warnings": ["sock_diag is unavailable; peers are unknown"]
        }
        """,
        "list");

    [Fact]
    public void Path_name_displayed_with_a_leading_at_sign_fails() =>
        Fails(Mutate(ValidList, d => { Socket(d, 0)["name"] = "@foo"; Socket(d, 0)["nameBytes"] = "QGZvbw=="; }), "/sockets/0/name");

    [Fact]
    public void Path_name_starting_with_at_sign_passes_when_escaped() =>
        SchemaAssert.Valid(Mutate(ValidList, d => { Socket(d, 0)["name"] = "\\x40foo"; Socket(d, 0)["nameBytes"] = "QGZvbw=="; }), "list");

    [Fact]
    public void Listening_datagram_socket_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["type"] = "dgram"), "/sockets/0/state");

    [Fact]
    public void Named_socketpair_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 0)["socketpair"] = true), "/sockets/0/name");

    [Fact]
    public void In_flight_socket_with_holders_fails() =>
        Fails(Mutate(ValidList, d => Socket(d, 8)["holders"] = new JsonArray(new JsonObject { ["pid"] = 1, ["fd"] = 1 })), "/sockets/8/holders");

    [Theory]
    [InlineData("uid")]
    [InlineData("cmdline")]
    [InlineData("netns")]
    [InlineData("user")]
    public void Process_without_a_contract_field_fails(string field) =>
        Fails(Mutate(ValidList, d => d["processes"]![0]!.AsObject().Remove(field)), "/processes/0");

    [Fact]
    public void Bad_container_fails() =>
        Fails(Mutate(ValidList, d => d["processes"]![2]!["container"] = JsonNode.Parse("""{"runtime": null, "id": null, "name": null}""")), "/processes/2/container");

    [Fact]
    public void Who_connection_without_server_fails() =>
        Fails(Mutate(ValidWho, d => d["connections"]![0]!.AsObject().Remove("server")), "/connections/0", "who");

    [Fact]
    public void Valid_can_be_called_from_several_threads() =>
        Parallel.For(0, 16, i => SchemaAssert.Valid(i % 2 == 0 ? ValidList : ValidWho, i % 2 == 0 ? "list" : "who"));

    [Fact]
    public void Malformed_json_fails() =>
        Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid("{\"schema\": 1,", "list"));

    [Fact]
    public void Unknown_def_fails() =>
        Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(ValidList, "nosuchdocument"));

    private static void Fails(string json, string location, string documentDef = "list")
    {
        var e = Assert.ThrowsAny<XunitException>(() => SchemaAssert.Valid(json, documentDef));
        Assert.Contains("at " + location, e.Message, StringComparison.Ordinal);
    }

    private static string FindInRepository(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }

    private static string Mutate(string json, Action<JsonObject> edit)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        edit(document);
        return document.ToJsonString();
    }

    private static JsonObject Socket(JsonObject document, int index) => document["sockets"]![index]!.AsObject();
}
