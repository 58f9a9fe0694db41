using SockPeer.Interop;

namespace SockPeer.Inventory;

/// <summary>A network namespace's `ip netns` name: a file under /run/netns on which its nsfs file is bind-mounted.</summary>
/// <param name="Name">The file's name (`auditns` for /run/netns/auditns).</param>
/// <param name="Inode">The namespace's inode, as stat of that file gives it (the nsfs inode, net:[INODE]).</param>
internal readonly record struct MountedNetNsName(string Name, ulong Inode);

/// <summary>
/// Reads the `ip netns` names: stat of every file under /run/netns, matched to a namespace by the nsfs
/// inode. A leftover file with no namespace mounted on it stats as a plain file whose inode matches no
/// namespace of the snapshot, so <see cref="Joining.NetNsNaming"/> never uses it.
/// </summary>
internal static class NamedNetNsMounts
{
    public static IReadOnlyList<MountedNetNsName> Find(string runNetns = "/run/netns")
    {
        var found = new List<MountedNetNsName>();
        try
        {
            if (!Directory.Exists(runNetns))
            {
                return found;
            }
            foreach (var file in Directory.EnumerateFiles(runNetns))
            {
                if (ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(file), follow: true, out _, out _, out ulong inode, out _, out _) == Errno.None)
                {
                    found.Add(new MountedNetNsName(Path.GetFileName(file), inode));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No names is an answer: the namespaces are still shown by number.
        }
        return found;
    }
}
