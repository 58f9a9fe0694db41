using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Endpoints;

/// <summary>TCP whose other end is not local (a listener behind a veth pair in a namespace the test makes), and over the host's own address.</summary>
[Collection(SerialCollection.Name)]
public class EndpointNetworkTests
{
    [SkippableFact]
    public void Tcp_to_a_listener_in_another_namespace_is_reported_as_remote_with_its_address()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        // A /30 from 10.0.0.0/8 that lives only on this veth pair, removed with it.
        int net = 4 * Random.Shared.Next(1, 63);
        string host = $"10.213.{Random.Shared.Next(1, 250)}";
        string local = $"{host}.{net + 1}", remote = $"{host}.{net + 2}";
        string vethHost = $"spv{Environment.ProcessId % 100000}h", vethNs = $"spv{Environment.ProcessId % 100000}n";
        try
        {
            Must("ip", "link", "add", vethHost, "type", "veth", "peer", "name", vethNs);
            Must("ip", "link", "set", vethNs, "netns", ns.Name);
            Must("ip", "addr", "add", $"{local}/30", "dev", vethHost);
            Must("ip", "link", "set", vethHost, "up");
            Must("ip", "-n", ns.Name, "addr", "add", $"{remote}/30", "dev", vethNs);
            Must("ip", "-n", ns.Name, "link", "set", vethNs, "up");
            using var scenario = NsScripts.Start($$"""
                server = spawn(["ip", "netns", "exec", "{{ns.Name}}"], '''
                l = socket.socket()
                l.bind((sys.argv[1], 0)); l.listen(4)
                report(port=l.getsockname()[1], listener=ino(l))
                s, _ = l.accept()
                hold()
                ''', "{{remote}}")
                deadline = time.time() + 20
                while True:
                    c = socket.socket()
                    c.settimeout(5)
                    try:
                        c.connect(("{{remote}}", server["port"]))
                        break
                    except OSError:
                        c.close()
                        if time.time() > deadline:
                            raise
                        time.sleep(0.05)
                ready(fd=c.fileno(), port=server["port"])
                hold()
                """);
            var result = SockpeerCli.Run("peer", scenario.Pid.ToString(), scenario.Int("fd").ToString());
            Assert.Equal(1, result.ExitCode);
            Assert.Equal("", result.Stdout);
            var lines = Ns.Lines(result.Stderr);
            Assert.Single(lines);
            Assert.StartsWith("sockpeer: ", lines[0]);
            Assert.Contains($"to {remote}:{scenario.Int("port")}", lines[0]);
            Assert.Contains("not on this host", lines[0]);
            Ns.NoStackTrace(result);
        }
        finally
        {
            Ns.Run("ip", "link", "del", vethHost);
        }
    }

    [SkippableFact]
    public void Tcp_over_the_hosts_own_non_loopback_address_is_local()
    {
        var addr = Ns.Run("ip", "-o", "-4", "addr", "show", "scope", "global");
        string? own = addr.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => Array.IndexOf(f, "inet") is int i and >= 0 ? f[i + 1].Split('/')[0] : null)
            .FirstOrDefault(a => a is not null && !a.StartsWith("10.213.", StringComparison.Ordinal));
        Skip.If(own is null, "the host has no non-loopback IPv4 address");
        // Bound and connected on this host only: the kernel routes it over lo.
        using var scenario = Scenario.Start($$"""
            l = socket.socket(); l.bind(("{{own}}", 0)); l.listen(4)
            c = socket.socket(); c.connect(l.getsockname())
            s, _ = l.accept()
            ready(client=c.fileno(), server=s.fileno(), listener=ino(l))
            hold()
            """);
        var result = SockpeerCli.Run("peer", scenario.Pid.ToString(), scenario.Int("client").ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "endpointPeer");
        var doc = result.Json();
        var peer = doc.GetProperty("peer");
        Assert.StartsWith(own + ":", peer.GetProperty("name").GetString());
        Assert.Equal(scenario.Int("server"), peer.GetProperty("holders")[0].GetProperty("fd").GetInt32());
        Assert.Equal(scenario.Inode("listener"), doc.GetProperty("listener").GetProperty("id").GetUInt64());
    }

    private static void Must(string file, params string[] args)
    {
        var r = Ns.Run(file, args);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)}: {r.Stderr}");
    }
}
