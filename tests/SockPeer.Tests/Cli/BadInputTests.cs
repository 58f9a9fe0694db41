using System.Net.Sockets;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// Bad input gets one line on stderr that starts with "sockpeer:", nothing on stdout, and exit 1
/// (not found, failure) or 2 (usage); never a stack trace. Every case is also run with --json,
/// which must not change any of that.
/// </summary>
public class BadInputTests
{
    public static TheoryData<string, string[]> UsageErrors() => new()
    {
        { "unknown --type", ["list", "--type", "raw"] },
        { "unknown --type without 'list'", ["--type", "raw"] },
        { "unknown --state", ["list", "--state", "closing"] },
        { "--pid that is not a number", ["list", "--pid", "abc"] },
        { "--pid out of range", ["list", "--pid", "99999999999"] },
        { "--pid zero", ["list", "--pid", "0"] },
        { "--pid negative", ["list", "--pid=-5"] },
        { "--pid without a value", ["list", "--pid"] },
        { "unknown option", ["list", "--bogus"] },
        { "unknown option without 'list'", ["--bogus"] },
        { "unknown command", ["frobnicate"] },
        { "peer with no arguments", ["peer"] },
        { "peer with a word", ["peer", "abc"] },
        { "peer with socket:[] garbage", ["peer", "socket:[abc]"] },
        { "peer with inode 0", ["peer", "0"] },
        { "peer with three arguments", ["peer", "1", "2", "3"] },
        { "peer with a word for the fd", ["peer", "1", "x"] },
        { "peer with a word for the pid", ["peer", "x", "1"] },
        { "who with no path", ["who"] },
        { "who with an empty path", ["who", ""] },
        { "who with two paths", ["who", "/a", "/b"] },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void Usage_errors_exit_2_with_one_line(string what, string[] args)
    {
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run(args), 2, what);
        SockpeerCli.AssertOneErrorLine(SockpeerCli.Run([.. args, "--json"]), 2, what + " --json");
    }

    [Fact]
    public void Peer_of_a_pid_that_does_not_exist_exits_1()
    {
        string pid = HostFacts.UnusedPid().ToString();
        AssertFailure(["peer", pid, "3"], "no such pid", mentions: pid);
    }

    [Fact]
    public void List_filtered_on_a_pid_that_does_not_exist_exits_1()
    {
        // Like `lsof -p`: asking about a process that is not there is an error, not an empty answer.
        string pid = HostFacts.UnusedPid().ToString();
        AssertFailure(["list", "--pid", pid], "list --pid of no process", mentions: pid);
        AssertFailure(["--pid", pid], "--pid of no process without 'list'", mentions: pid);
    }

    [Fact]
    public void Peer_of_an_fd_the_process_does_not_have_exits_1()
    {
        AssertFailure(["peer", Environment.ProcessId.ToString(), "987654"], "no such fd", mentions: "987654");
    }

    [Fact]
    public void Peer_of_an_fd_that_is_a_regular_file_exits_1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sockpeer-notasocket-{Guid.NewGuid():N}");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
            int fd = (int)file.SafeFileHandle.DangerousGetHandle();
            AssertFailure(["peer", Environment.ProcessId.ToString(), fd.ToString()], "fd of a regular file", mentions: "not a socket");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Peer_of_an_fd_in_another_process_that_is_a_regular_file_exits_1()
    {
        using var scenario = Scenario.Start("""
            f = open(os.path.join(sys.argv[1], "plain.txt"), "w")
            ready(fd=f.fileno())
            hold()
            """);
        AssertFailure(["peer", scenario.Pid.ToString(), scenario.Int("fd").ToString()], "python's regular file", mentions: "not a socket");
    }

    [Fact]
    public void Peer_of_an_fd_that_is_a_tcp_socket_exits_1()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); // never bound or connected
        int fd = (int)tcp.SafeHandle.DangerousGetHandle();
        AssertFailure(["peer", Environment.ProcessId.ToString(), fd.ToString()], "fd of a TCP socket", mentions: "not a Unix socket");
    }

    [Fact]
    public void Peer_of_an_inode_no_unix_socket_has_exits_1()
    {
        AssertFailure(["peer", "4294967295"], "unknown inode", mentions: "4294967295");
        AssertFailure(["peer", "socket:[4294967295]"], "unknown socket:[inode]", mentions: "4294967295");
    }

    [Fact]
    public void Who_on_a_missing_path_exits_1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sockpeer-missing-{Guid.NewGuid():N}", "x.sock");
        // Not found, not a failure: exit 1 with the answer on stdout, nothing on stderr (-q: no warnings).
        var r = SockpeerCli.Run("who", path, "-q");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{path}: no such file, and no socket is bound to that name", r.Stdout, StringComparison.Ordinal);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Who_on_a_regular_file_exits_1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sockpeer-regular-{Guid.NewGuid():N}");
        File.WriteAllText(path, "not a socket");
        try
        {
            AssertFailure(["who", path], "regular file", mentions: "not a socket");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Who_on_a_directory_exits_1()
    {
        AssertFailure(["who", Path.GetTempPath()], "directory", mentions: "not a socket");
    }

    private static void AssertFailure(string[] args, string what, string mentions)
    {
        foreach (var a in new[] { args, [.. args, "--json"] })
        {
            var r = SockpeerCli.Run(a);
            SockpeerCli.AssertOneErrorLine(r, 1, $"{what} ({string.Join(' ', a)})");
            Assert.Contains(mentions, r.Stderr);
        }
    }
}
