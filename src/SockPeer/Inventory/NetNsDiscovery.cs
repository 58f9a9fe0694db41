using SockPeer.Interop;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>
/// Finds every network namespace in use: those of processes (/proc/PID/ns/net), named ones (/run/netns)
/// and any other nsfs mount, in this mount namespace or another one. Namespaces held only by fds or
/// sockets are found later, from the fd walk (<see cref="HeldNamespaces"/>).
/// </summary>
internal static class NetNsDiscovery
{
    /// <summary>Opens one handle per distinct namespace; the caller disposes them.</summary>
    public static List<NetNsHandle> Discover(string procRoot = "/proc", string runNetns = "/run/netns")
        => Discover(procRoot, runNetns, out _);

    /// <summary>
    /// Opens one handle per distinct namespace; the caller disposes them. <paramref name="unreadable"/>
    /// counts processes whose namespace could not be read (permission denied): they may be in others.
    /// </summary>
    public static List<NetNsHandle> Discover(string procRoot, string runNetns, out int unreadable)
    {
        unreadable = 0;
        var found = new Dictionary<ulong, NetNsHandle>();
        // One process per other mount namespace, whose mountinfo may show namespaces mounted there.
        var mountNamespaces = new Dictionary<ulong, int>();
        ulong ownMountNs = ReadNsLink($"{procRoot}/self/ns/mnt");
        Span<byte> link = stackalloc byte[64];
        foreach (var dir in EnumeratePids(procRoot))
        {
            ulong mnt = ReadNsLink($"{procRoot}/{dir}/ns/mnt");
            if (mnt != 0 && mnt != ownMountNs)
            {
                mountNamespaces.TryAdd(mnt, dir);
            }
            int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero($"{procRoot}/{dir}/ns/net"), link);
            if (n < 0 && (Errno)(-n) is Errno.EACCES or Errno.EPERM)
            {
                unreadable++;
            }
            if (n <= 0 || !ProcParsers.TryParseNetNsLink(link[..n], out ulong inode) || found.ContainsKey(inode))
            {
                continue;
            }
            if (NetNsHandle.Open($"{procRoot}/{dir}/ns/net", dir) is { } handle)
            {
                // The process may have moved or died between readlink and open: key on what was opened.
                if (!found.TryAdd(handle.Inode, handle))
                {
                    handle.Dispose();
                }
            }
        }
        if (Directory.Exists(runNetns))
        {
            try
            {
                foreach (var file in Directory.EnumerateFiles(runNetns))
                {
                    if (NetNsHandle.Open(file, 0) is { } handle && !found.TryAdd(handle.Inode, handle))
                    {
                        handle.Dispose();
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        AddMounted(found, $"{procRoot}/self/mountinfo", "");
        foreach (var (_, pid) in mountNamespaces)
        {
            AddMounted(found, $"{procRoot}/{pid}/mountinfo", $"{procRoot}/{pid}/root");
        }
        return [.. found.Values];
    }

    /// <summary>Namespaces bind-mounted anywhere (nsfs mounts), seen through <paramref name="root"/> (a process's /proc/PID/root for another mount namespace).</summary>
    private static void AddMounted(Dictionary<ulong, NetNsHandle> found, string mountinfo, string root)
    {
        byte[] buffer = new byte[16 * 1024];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(mountinfo), ref buffer);
        if (n <= 0)
        {
            return;
        }
        foreach (var (mountPoint, netns) in ProcMountInfo.NetNsMounts(buffer.AsSpan(0, n)))
        {
            if (!found.ContainsKey(netns) && NetNsHandle.Open(root + mountPoint, 0) is { } handle && !found.TryAdd(handle.Inode, handle))
            {
                handle.Dispose();
            }
        }
    }

    private static ulong ReadNsLink(string path)
    {
        Span<byte> link = stackalloc byte[64];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero(path), link);
        // mnt:[N] parses like net:[N] once the prefix is skipped.
        return n > 5 && ProcParsers.TryParseNetNsLink([.. "net:"u8, .. link[4..n]], out ulong inode) ? inode : 0;
    }

    private static IEnumerable<int> EnumeratePids(string procRoot)
    {
        foreach (var path in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(path), out int pid))
            {
                yield return pid;
            }
        }
    }
}
