using SockPeer.Tests.Infrastructure;
using SockPeer.Views;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// `--path` through a symlinked directory (`/var/run/docker.sock` where the daemon bound
/// `/run/docker.sock`): the socket the operator named is found by list, and the eBPF source's kernel
/// filter keeps its events. Before, only `who` (which resolves the path) found it.
/// </summary>
public sealed class PathThroughSymlinkTests : IDisposable
{
    private readonly SocketDriver _server = new();
    private readonly string _alias;

    public PathThroughSymlinkTests()
    {
        _alias = _server.Dir + "-alias";
        File.CreateSymbolicLink(_alias, _server.Dir);
    }

    public void Dispose()
    {
        File.Delete(_alias);
        _server.Dispose();
    }

    [Fact]
    public void List_finds_the_socket_bound_under_the_directory_the_pattern_resolves_to()
    {
        uint inode = _server.Listen("s.sock").Inode;
        var r = SockpeerCli.Run("list", "--json", "--path", _alias + "/s.sock");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains($"\"inode\":{inode},", r.Stdout.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var glob = NameGlob.Parse(_alias + "/*.sock");
        Assert.True(glob.Matches(_server.Dir + "/s.sock"));
        Assert.False(glob.Matches(_server.Dir + "/s.txt"));
    }

    [Fact]
    public void The_kernel_filter_keeps_names_under_both_the_pattern_and_its_resolved_directory()
    {
        byte[] prefix = SockPeer.Ebpf.EbpfEventSource.KernelNamePrefix(NameGlob.Parse(_alias + "/s.sock"));
        string text = System.Text.Encoding.ASCII.GetString(prefix);
        Assert.StartsWith(text, _server.Dir + "/s.sock", StringComparison.Ordinal);
        Assert.StartsWith(text, _alias + "/s.sock", StringComparison.Ordinal);
    }
}
