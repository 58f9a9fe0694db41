using System.Globalization;
using System.Text;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Reachability;

/// <summary>
/// Decides what a connect(2) would get, in the kernel's order (net/unix/af_unix.c: the address length,
/// then the path walk with search permission on each directory, write permission on the socket file, a
/// socket file or not, the socket bound to that inode, its type, listening, the accept queue), from a
/// <see cref="ClientView"/> and a snapshot. Pure: the socket's role, backlog state and bound file are the
/// snapshot's (<see cref="UnixSocket.Role"/>, <see cref="UnixSocket.BacklogFull"/>, <see cref="SocketQueries.BoundAt"/>).
/// </summary>
public static class ConnectRules
{
    /// <summary>sizeof(sun_path): a pathname may fill it (the kernel adds the NUL), an abstract name's NUL counts.</summary>
    public const int SunPathLength = 108;

    private const ushort S_IFMT = 0xF000;
    private const int Search = 1, Write = 2;

    /// <summary>The verdict for <paramref name="view"/> against <paramref name="inventory"/>.</summary>
    public static ConnectCheck Decide(ClientView view, SocketInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(inventory);
        var notes = new List<string>(view.LsmNotes);
        var check = view.IsAbstract ? Abstract(view, inventory) : Pathname(view, inventory);
        var holders = SocketInventory.HolderPidsOf([check.Listener, .. check.Elsewhere]);
        return check with { Notes = notes, HolderPids = holders };
    }

    private static ConnectCheck Base(ClientView view, ConnectVerdict verdict, Errno errno, string reason, string? fix) => new()
    {
        Target = view.Target,
        Verdict = verdict,
        Errno = errno == Errno.None ? null : ErrnoText.Name(errno),
        Reason = reason,
        Fix = fix,
        Type = view.Type,
        Client = view.Client,
        FromPid = view.FromPid,
        ClientNetNs = view.NetNs,
    };

    private static ConnectCheck Abstract(ClientView view, SocketInventory inventory)
    {
        string shown = view.Target;
        if (view.Name.Length > SunPathLength)
        {
            return Base(view, ConnectVerdict.PathTooLong, Errno.EINVAL,
                $"the abstract name is {view.Name.Length - 1} bytes; sun_path holds {SunPathLength - 1} after the leading NUL",
                "use a shorter name (the server must bind the same shorter name)");
        }
        var bound = SocketQueries.BoundToName(inventory, [view.Name]);
        var here = bound.Where(s => view.NetNs is null || s.NetNs is null || s.NetNs == view.NetNs).ToList();
        var elsewhere = bound.Except(here).ToList();
        if (here.Count == 0)
        {
            if (elsewhere.Count > 0)
            {
                string where = string.Join(", ", elsewhere.Select(s => s.NetNs?.ToString(CultureInfo.InvariantCulture) ?? "?").Distinct());
                return Base(view, ConnectVerdict.OtherNamespace, Errno.ECONNREFUSED,
                    $"{shown} is bound only in network namespace {where}, not in the client's ({NetNsText(view.NetNs)}): abstract names belong to one network namespace",
                    "run the client in that network namespace (nsenter --net=/proc/PID/ns/net), or share a pathname socket instead (paths cross network namespaces)")
                    with { Elsewhere = elsewhere };
            }
            return Base(view, ConnectVerdict.NoSuchName, Errno.ECONNREFUSED,
                $"no socket is bound to {shown} in any network namespace the snapshot covers",
                "start the server (check the exact name: abstract names are exact bytes, with no trailing NUL)");
        }
        return Bound(view, here[0], elsewhere);
    }

    private static ConnectCheck Pathname(ClientView view, SocketInventory inventory)
    {
        var steps = new List<PathStep>();
        var walk = view.Walk;
        ConnectCheck? failure = null;
        for (int i = 0; i < walk.Count && failure is null; i++)
        {
            var c = walk[i];
            if (c.Parent >= 0 && !Allows(view.Client, walk[c.Parent].Status, Search))
            {
                var dir = walk[c.Parent].Status;
                steps[c.Parent] = steps[c.Parent] with { Ok = false };
                failure = Base(view, ConnectVerdict.Permission, Errno.EACCES,
                    $"{Who(view.Client)} may not search directory {walk[c.Parent].Path} ({ModeText(dir.Mode)} {dir.Uid}:{dir.Gid})",
                    $"give the client search permission on {walk[c.Parent].Path}: add it to group {dir.Gid} and chmod g+x, or chmod o+x");
                break;
            }
            if (c.Errno != Errno.None)
            {
                steps.Add(new PathStep(c.Path, null, null, null, null, false));
                failure = Missing(view, inventory, c);
                break;
            }
            bool last = i == walk.Count - 1;
            bool ok = !last || c.LinkTarget is not null || Allows(view.Client, c.Status, Write);
            steps.Add(new PathStep(c.Path, TypeText(c.Status.Mode), (ushort)(c.Status.Mode & 0xFFF), c.Status.Uid, c.Status.Gid, ok) { LinkTarget = c.LinkTarget });
        }
        if (failure is null && view.WalkStop != Errno.None)
        {
            failure = Base(view, ConnectVerdict.NoSuchFile, view.WalkStop,
                view.WalkStop == Errno.ELOOP ? $"{view.Target}: too many levels of symbolic links" : $"{walk[^1].Path} is not a directory",
                "point the client at the socket's real path");
        }
        failure ??= Final(view, inventory, walk[^1], steps);
        if (view.Name.Length > SunPathLength && failure.Verdict is not (ConnectVerdict.NoSuchFile or ConnectVerdict.Permission))
        {
            // The kernel refuses the address before it looks at the path; the walk is still the evidence.
            string dir = Path.GetDirectoryName(view.Target) ?? "/";
            failure = Base(view, ConnectVerdict.PathTooLong, Errno.EINVAL,
                $"the path is {view.Name.Length} bytes; sun_path holds {SunPathLength}, so connect(2) refuses the address"
                + (failure.Listener is null ? "" : $" (a socket is bound there: {failure.Verdict.ToText()} through a shorter name)"),
                $"connect with a shorter name: from the directory (cd {dir}; connect to {Path.GetFileName(view.Target)}), or through a shorter symlink to the socket file")
                with { Listener = failure.Listener, Elsewhere = failure.Elsewhere };
        }
        return failure with { Path = steps };
    }

    /// <summary>A component the walk did not find.</summary>
    private static ConnectCheck Missing(ClientView view, SocketInventory inventory, WalkedComponent c)
    {
        var named = SocketQueries.BoundToName(inventory, Names(view));
        string reason = c.Errno switch
        {
            Errno.ENOENT => $"{c.Path} does not exist (as the client sees it)",
            Errno.ENOTDIR => $"{c.Path}: a component on the way is not a directory",
            Errno.EACCES => $"{c.Path} cannot be examined from here (permission denied)",
            _ => $"{c.Path}: {ErrnoText.Describe(c.Errno)}",
        };
        string fix = "start the server, or point the client at the path the server binds";
        if (named.Count > 0)
        {
            var s = named[0];
            bool live = s.File?.Status == SocketFileStatus.Ok;
            reason += live
                ? $"; {Holders(s)} listens on {view.Target} in another mount view (its own path reaches its file)"
                : $"; {Holders(s)} still listens on {view.Target}, but its file was deleted";
            fix = live
                ? "mount the socket's directory into the client's mount namespace (a directory, not the file, so a restarted server's new file is seen)"
                : "restart the server so it binds the path again";
        }
        var verdict = c.Errno == Errno.EACCES ? ConnectVerdict.Permission : ConnectVerdict.NoSuchFile;
        return Base(view, verdict, c.Errno, reason, fix) with { Elsewhere = named };
    }

    /// <summary>The file at the end of the walk.</summary>
    private static ConnectCheck Final(ClientView view, SocketInventory inventory, WalkedComponent file, List<PathStep> steps)
    {
        var st = file.Status;
        if (!Allows(view.Client, st, Write))
        {
            return Base(view, ConnectVerdict.Permission, Errno.EACCES,
                $"{Who(view.Client)} may not write to {file.Path} ({ModeText(st.Mode)} {st.Uid}:{st.Gid}): connect(2) needs write permission on the socket file",
                $"let the client write to the socket file: add it to group {st.Gid} and chmod g+w {file.Path}, or chmod o+w (the server sets the mode after bind, or through its umask)");
        }
        if ((st.Mode & S_IFMT) != 0xC000)
        {
            return Base(view, ConnectVerdict.NotASocket, Errno.ECONNREFUSED,
                $"{file.Path} is a {TypeText(st.Mode)}, not a socket",
                "point the client at the server's socket file");
        }
        var bound = SocketQueries.BoundAt(inventory, st.Major, st.Minor, st.Inode);
        var others = SocketQueries.BoundToName(inventory, Names(view)).Where(s => s != bound).ToList();
        if (bound is null)
        {
            var live = others.Where(s => s.File?.Status == SocketFileStatus.Ok).ToList();
            if (live.Count > 0)
            {
                var l = live[0];
                return Base(view, ConnectVerdict.OtherNamespace, Errno.ECONNREFUSED,
                    $"{file.Path} as the client sees it is inode {st.Inode} on {st.Major}:{st.Minor}, nothing is bound to it; {Holders(l)} listens on {view.Target} bound to inode {l.File!.Inode} on {l.File.Device}: a bind mount (or another mount namespace) pins the old file",
                    "bind-mount the socket's directory rather than the socket file, and restart the client's container (or remount) so it sees the new file")
                    with { Elsewhere = others };
            }
            string reason = $"{file.Path} is a socket file nothing is bound to (its server exited or closed it without removing it)";
            if (others.Count > 0)
            {
                reason += $"; {Holders(others[0])} still listens on {view.Target}, but on a file that was {(others[0].File?.Status == SocketFileStatus.Deleted ? "deleted" : "replaced")}";
            }
            return Base(view, ConnectVerdict.Stale, Errno.ECONNREFUSED, reason,
                others.Count > 0 ? "restart the server still listening on the old file so it binds the path again (or remove the stale file first)"
                    : "start the server (remove the stale file first if the server does not)")
                with { Elsewhere = others };
        }
        return Bound(view, bound, others);
    }

    /// <summary>The socket the name reaches.</summary>
    private static ConnectCheck Bound(ClientView view, UnixSocket s, IReadOnlyList<UnixSocket> others)
    {
        ConnectCheck check;
        if (s.Type != view.Type)
        {
            check = Base(view, ConnectVerdict.WrongType, Errno.EPROTOTYPE,
                $"the socket bound to {view.Target} is a {s.Type.ToText()} socket ({Holders(s)}); the client's is {view.Type.ToText()}",
                $"connect with a {s.Type.ToText()} socket (--type {s.Type.ToText()})");
        }
        else if (s.Type == UnixSocketType.Dgram)
        {
            check = s.Role == SocketRole.DatagramServer || s.Role == SocketRole.Bound
                ? Base(view, ConnectVerdict.Ok, Errno.None, $"{Holders(s)} receives datagrams on {view.Target}", null)
                : Base(view, ConnectVerdict.NotListening, Errno.EPERM,
                    $"the datagram socket on {view.Target} ({Holders(s)}) is connected to another socket and accepts datagrams only from it",
                    "the server must not connect its receiving socket");
        }
        else if (s.Role != SocketRole.Listener)
        {
            check = Base(view, ConnectVerdict.NotListening, Errno.ECONNREFUSED,
                $"a socket is bound to {view.Target} ({Holders(s)}), but it does not listen",
                "the server must call listen(2) on it (it may still be starting)");
        }
        else if (s.BacklogFull)
        {
            check = Base(view, ConnectVerdict.BacklogFull, Errno.EAGAIN,
                $"the accept queue of {Holders(s)} is full: {s.PendingCount} waiting, backlog {s.Backlog}; a non-blocking connect fails with EAGAIN, a blocking one waits",
                "the server is not accepting: see whether it is stuck, or raise its listen(2) backlog (capped by net.core.somaxconn)");
        }
        else
        {
            check = Base(view, ConnectVerdict.Ok, Errno.None,
                $"{Holders(s)} listens on {view.Target}" + (s.PendingCount is uint p && s.Backlog is uint b ? $" ({p} waiting, backlog {b})" : ""), null);
        }
        if (check.Verdict == ConnectVerdict.Ok && others.Count > 0)
        {
            check = check with { Reason = check.Reason + $"; {Holders(others[0])} still listens on an older file of the same name" };
        }
        return check with { Listener = s, Elsewhere = others };
    }

    /// <summary>Whether <paramref name="client"/> has <paramref name="bit"/> (search on a directory, write on a file) by the file modes (no ACLs).</summary>
    internal static bool Allows(ClientCredentials client, PathStatus st, int bit)
    {
        if (client.Uid == 0)
        {
            return true; // CAP_DAC_OVERRIDE: search and write pass whatever the mode
        }
        int mode = st.Mode;
        if (st.Uid == client.Uid)
        {
            return ((mode >> 6) & bit) != 0;
        }
        if (st.Gid == client.Gid || client.Groups.Contains(st.Gid))
        {
            return ((mode >> 3) & bit) != 0;
        }
        return (mode & bit) != 0;
    }

    private static byte[][] Names(ClientView view)
    {
        var names = new List<byte[]> { view.Name };
        if (!view.Target.StartsWith('/') && view.Walk.Count > 0)
        {
            names.Add(Encoding.UTF8.GetBytes(view.Walk[^1].Path));
        }
        return [.. names];
    }

    private static string Holders(UnixSocket s)
    {
        var pids = s.Holders.Select(h => h.Pid).Distinct().ToList();
        string who = pids.Count switch
        {
            0 => "a socket no process could be seen holding",
            1 => $"pid {pids[0]}",
            _ => "pids " + string.Join(", ", pids.Take(5)) + (pids.Count > 5 ? ", ..." : ""),
        };
        return $"{who} (socket {s.Inode})";
    }

    private static string Who(ClientCredentials c) => c.User is { } u ? $"user {u} (uid {c.Uid})" : $"uid {c.Uid}";

    private static string NetNsText(ulong? ns) => ns?.ToString(CultureInfo.InvariantCulture) ?? "unknown";

    /// <summary>ls -l's ten characters.</summary>
    public static string ModeText(ushort mode)
    {
        char type = (mode & S_IFMT) switch { 0x4000 => 'd', 0xA000 => 'l', 0xC000 => 's', 0x1000 => 'p', 0x2000 => 'c', 0x6000 => 'b', _ => '-' };
        var b = new StringBuilder().Append(type);
        string rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
        {
            b.Append((mode & (1 << (8 - i))) != 0 ? rwx[i] : '-');
        }
        if ((mode & 0x800) != 0) b[3] = b[3] == 'x' ? 's' : 'S';
        if ((mode & 0x400) != 0) b[6] = b[6] == 'x' ? 's' : 'S';
        if ((mode & 0x200) != 0) b[9] = b[9] == 'x' ? 't' : 'T';
        return b.ToString();
    }

    private static string TypeText(ushort mode) => (mode & S_IFMT) switch
    {
        0x4000 => "directory",
        0xA000 => "symlink",
        0xC000 => "socket",
        0x1000 => "fifo",
        0x2000 => "char",
        0x6000 => "block",
        _ => "file",
    };
}
