using System.Text;
using SockPeer.Model;
using SockPeer.Reachability;

namespace SockPeer.Interop;

/// <summary>
/// Gathers a <see cref="ClientView"/>: walks the path component by component as the client sees it
/// (from <c>/proc/PID/root</c>, which is that process's root in its own mount namespace, so its bind
/// mounts and chroot apply), following symlinks itself so that each directory searched is on record;
/// reads the client's network namespace and whether an LSM is enforcing. Judges nothing.
/// </summary>
internal static class ClientViewReader
{
    private const ushort S_IFMT = 0xF000, S_IFLNK = 0xA000, S_IFDIR = 0x4000;
    private const int MaxLinks = 40;

    internal static ClientView Read(string target, UnixSocketType type, ClientCredentials client, int? fromPid, string procRoot = "/proc")
    {
        ulong? netNs = NetNsOf(fromPid is int p ? $"{procRoot}/{p}/ns/net" : $"{procRoot}/self/ns/net");
        byte[] name;
        var walk = new List<WalkedComponent>();
        Errno stop = Errno.None;
        if (target.StartsWith('@'))
        {
            name = [0, .. Encoding.UTF8.GetBytes(target[1..])];
        }
        else
        {
            name = Encoding.UTF8.GetBytes(target);
            string absolute = target;
            if (!target.StartsWith('/'))
            {
                string cwd = fromPid is int q ? Encoding.UTF8.GetString(PathStat.ReadLink(ProcFs.Zero($"{procRoot}/{q}/cwd")) ?? "/"u8.ToArray()) : Environment.CurrentDirectory;
                absolute = cwd.TrimEnd('/') + "/" + target;
            }
            string rootPrefix = fromPid is int r ? $"{procRoot}/{r}/root" : "";
            stop = Walk(rootPrefix, absolute, walk);
        }
        return new ClientView(target, name, type, client, fromPid, netNs, walk, stop, LsmNotes());
    }

    /// <summary>Walks <paramref name="absolute"/> under <paramref name="rootPrefix"/>; returns the errno the walk stopped with.</summary>
    private static Errno Walk(string rootPrefix, string absolute, List<WalkedComponent> steps)
    {
        Errno rootErrno = PathStat.Lstat(ProcFs.Zero(rootPrefix.Length == 0 ? "/" : rootPrefix + "/"), out var rootStatus);
        steps.Add(new WalkedComponent("/", -1, rootErrno, rootStatus, null));
        if (rootErrno != Errno.None)
        {
            return rootErrno;
        }
        var pending = new LinkedList<string>(absolute.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var dirs = new Stack<(string Path, int Step)>();
        dirs.Push(("/", 0));
        int links = 0;
        while (pending.First is { } node)
        {
            string c = node.Value;
            pending.RemoveFirst();
            if (c == ".")
            {
                continue;
            }
            if (c == "..")
            {
                if (dirs.Count > 1)
                {
                    dirs.Pop();
                }
                continue;
            }
            var (dir, dirStep) = dirs.Peek();
            string path = dir == "/" ? "/" + c : dir + "/" + c;
            Errno errno = PathStat.Lstat(ProcFs.Zero(rootPrefix + path), out var st);
            if (errno != Errno.None)
            {
                steps.Add(new WalkedComponent(path, dirStep, errno, st, null));
                return errno;
            }
            bool last = pending.Count == 0;
            if ((st.Mode & S_IFMT) == S_IFLNK)
            {
                byte[]? link = PathStat.ReadLink(ProcFs.Zero(rootPrefix + path));
                string linkTarget = link is null ? "" : Encoding.UTF8.GetString(link);
                steps.Add(new WalkedComponent(path, dirStep, Errno.None, st, linkTarget));
                if (++links > MaxLinks || link is null)
                {
                    return Errno.ELOOP;
                }
                if (linkTarget.StartsWith('/'))
                {
                    dirs.Clear();
                    dirs.Push(("/", 0));
                }
                foreach (string part in linkTarget.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.AddFirst(part);
                }
                continue;
            }
            steps.Add(new WalkedComponent(path, dirStep, Errno.None, st, null));
            if ((st.Mode & S_IFMT) == S_IFDIR)
            {
                dirs.Push((path, steps.Count - 1));
            }
            else if (!last)
            {
                return Errno.ENOTDIR;
            }
        }
        return Errno.None;
    }

    private static ulong? NetNsOf(string path)
        => ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(path), follow: true, out _, out _, out ulong inode, out _, out _) == Errno.None ? inode : null;

    /// <summary>An LSM that may deny what the file modes allow: SELinux enforcing, AppArmor enabled.</summary>
    private static string[] LsmNotes()
    {
        var notes = new List<string>();
        string lsm = ReadSmall("/sys/kernel/security/lsm");
        if (lsm.Contains("selinux", StringComparison.Ordinal) && ReadSmall("/sys/fs/selinux/enforce").Trim() == "1")
        {
            notes.Add("SELinux is enforcing: its policy may deny a connect that the file modes allow (see the audit log for AVC denials)");
        }
        if (lsm.Contains("apparmor", StringComparison.Ordinal) && ReadSmall("/sys/module/apparmor/parameters/enabled").Trim() == "Y")
        {
            notes.Add("AppArmor is enabled: a profile confining the client may deny a connect that the file modes allow (see the audit log)");
        }
        return [.. notes];
    }

    private static string ReadSmall(string path)
    {
        byte[] buffer = new byte[4096];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(path), ref buffer, 4096);
        return n > 0 ? Encoding.UTF8.GetString(buffer, 0, n) : "";
    }
}
