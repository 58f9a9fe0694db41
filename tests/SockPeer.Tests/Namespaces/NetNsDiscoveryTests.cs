using SockPeer.Interop;
using SockPeer.Inventory;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// What <see cref="NetNsDiscovery"/> and <see cref="NetNsHandle"/> accept as a network namespace. Discovery
/// scans every thread's namespace link, which other test classes change (setns) while they run: alone.
/// </summary>
[Collection(SockPeer.Tests.Infrastructure.SerialCollection.Name)]
public class NetNsDiscoveryTests
{
    private static void DisposeAll(IEnumerable<NetNsHandle> handles)
    {
        foreach (var h in handles)
        {
            h.Dispose();
        }
    }

    /// <summary>
    /// `ip netns add` creates /run/netns/NAME as an empty file and then bind-mounts the namespace on
    /// it; `ip netns delete` unmounts and then unlinks. In between the name is a plain file, which is
    /// no namespace (entering it fails with EINVAL), and must not be reported as one.
    /// </summary>
    [Fact]
    public void Plain_files_and_other_namespace_types_in_the_netns_directory_are_skipped()
    {
        string dir = Directory.CreateTempSubdirectory("sockpeer-runnetns-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "half-made"), []);
            File.CreateSymbolicLink(Path.Combine(dir, "uts"), "/proc/self/ns/uts");
            File.CreateSymbolicLink(Path.Combine(dir, "net"), "/proc/self/ns/net");
            var found = NetNsDiscovery.Discover("/proc", dir);
            try
            {
                Assert.DoesNotContain(found, h => h.Source.StartsWith(dir, StringComparison.Ordinal) && !h.Source.EndsWith("/net", StringComparison.Ordinal));
                Assert.Contains(found, h => h.Inode == Ns.Current);
            }
            finally
            {
                DisposeAll(found);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Open_accepts_only_network_namespaces()
    {
        string file = Path.GetTempFileName();
        try
        {
            Assert.Null(NetNsHandle.Open(file, 0));
            Assert.Null(NetNsHandle.Open("/proc/self/ns/uts", 0));
            Assert.Null(NetNsHandle.Open("/proc/self/ns/mnt", 0));
            Assert.Null(NetNsHandle.Open("/nonexistent/" + Ns.UniqueName("x"), 0));
            using var own = NetNsHandle.Open("/proc/self/ns/net", 0);
            Assert.NotNull(own);
            Assert.Equal(Ns.Current, own.Inode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>`--netns PATH` opens whatever PATH is: opening a FIFO for reading must not wait for a writer.</summary>
    [Fact]
    public void Open_of_a_fifo_returns_at_once()
    {
        string dir = Directory.CreateTempSubdirectory("sockpeer-fifo-").FullName;
        string fifo = Path.Combine(dir, "fifo");
        NetNsHandle? handle = null;
        var open = new Thread(() => handle = NetNsHandle.Open(fifo, 0)) { IsBackground = true };
        try
        {
            Assert.Equal(0, Ns.Run("mkfifo", fifo).ExitCode);
            open.Start();
            Assert.True(open.Join(TimeSpan.FromSeconds(10)), "open of a FIFO blocked");
            Assert.Null(handle);
        }
        finally
        {
            if (open.IsAlive)
            {
                using var writer = File.OpenWrite(fifo); // lets the blocked open return
                open.Join(TimeSpan.FromSeconds(10));
            }
            handle?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>setns moves only the calling thread: the reader does it on threads of its own and comes back.</summary>
    [SkippableFact]
    public void Reading_every_namespace_leaves_every_thread_of_this_process_in_its_own()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        ulong home = Ns.Current;

        Parallel.For(0, 4, _ =>
        {
            var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All, ResolveHolders = false }).Read();
            Assert.Equal(home, Ns.Inode("/proc/thread-self/ns/net"));
            Assert.Contains(inventory.Sockets, s => s.NetNs == home);
        });

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                Assert.Equal(home, Ns.Inode(Path.Combine(task, "ns", "net")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // a thread that ended meanwhile
            }
        }
    }

    [SkippableFact]
    public void A_named_namespace_is_found_once_with_its_inode()
    {
        Ns.RequireRoot();
        using var ns = new NamedNetNs();
        var found = NetNsDiscovery.Discover();
        try
        {
            Assert.Single(found, h => h.Inode == ns.Inode);
            Assert.Single(found, h => h.Inode == Ns.Current);
            Assert.Equal(found.Count, found.Select(h => h.Inode).Distinct().Count());
        }
        finally
        {
            DisposeAll(found);
        }
    }
}
