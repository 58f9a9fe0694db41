using SockPeer.Joining;
using SockPeer.Model;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Joining;

/// <summary>Container naming with a scripted name lookup in place of Docker's files.</summary>
public class ContainerNamingTests
{
    [Fact]
    public void Docker_ids_get_names_each_looked_up_once_and_other_runtimes_stay_ids()
    {
        var lookups = new List<string>();
        string? Find(string id)
        {
            lookups.Add(id);
            return id == "abc123" ? "web" : null;
        }
        var docker = new ContainerInfo("docker", "abc123", null);
        ProcessInfo[] processes =
        [
            new() { Pid = 1, Command = "a", Container = docker },
            new() { Pid = 2, Command = "b", Container = docker },
            new() { Pid = 3, Command = "c", Container = new ContainerInfo("docker", "def456", null) },
            new() { Pid = 4, Command = "d", Container = new ContainerInfo("podman", "abc123", null) },
            new() { Pid = 5, Command = "e" },
        ];

        var named = ContainerNaming.Name(processes, Find);

        Assert.Equal(["web", "web", null, null, null], named.Select(p => p.Container?.Name));
        Assert.Equal(["abc123", "def456"], lookups);
        Assert.Same(processes[4], named[4]);
    }
}
