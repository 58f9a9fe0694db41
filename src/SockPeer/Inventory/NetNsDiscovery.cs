using SockPeer.Interop;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>Finds every network namespace in use: those of processes (/proc/PID/ns/net) and named ones (/run/netns).</summary>
public static class NetNsDiscovery
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
        Span<byte> link = stackalloc byte[64];
        foreach (var dir in EnumeratePids(procRoot))
        {
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
        return [.. found.Values];
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
