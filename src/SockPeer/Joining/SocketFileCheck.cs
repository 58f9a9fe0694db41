using SockPeer.Interop;
using SockPeer.Model;

namespace SockPeer.Joining;

/// <summary>The identity of a file as stat gives it: device numbers and inode.</summary>
internal readonly record struct FileIdentity(uint Major, uint Minor, ulong Inode)
{
    /// <summary>st_mode (type and permission bits); null when the probe did not read it.</summary>
    public ushort? Mode { get; init; }
    /// <summary>Owner uid; null when the probe did not read it.</summary>
    public uint? Uid { get; init; }
    /// <summary>Owner gid; null when the probe did not read it.</summary>
    public uint? Gid { get; init; }
}

/// <summary>
/// The I/O the socket-file status needs: stat a path without following a final symlink, either as
/// the holding process sees it (<c>/proc/PID/root</c> for an absolute path, <c>/proc/PID/cwd</c> for a
/// relative one: a container's path means nothing from the host's root) or from here.
/// </summary>
internal interface ISocketFileProbe
{
    /// <summary>stat of <paramref name="name"/> (no trailing NUL) inside process <paramref name="pid"/>'s view.</summary>
    Errno StatAsHolder(int pid, byte[] name, out FileIdentity file);

    /// <summary>stat of the absolute path <paramref name="name"/> from this process's root.</summary>
    Errno StatHere(byte[] name, out FileIdentity file);

    /// <summary>
    /// The absolute directory <paramref name="directory"/> with its symlinks resolved now, as process
    /// <paramref name="pid"/> sees it (0: from here); null when it cannot be told.
    /// </summary>
    byte[]? ResolveDirectory(int pid, byte[] directory) => null;
}

/// <summary>Stats through procfs mounted at <paramref name="procRoot"/>.</summary>
internal sealed class ProcSocketFileProbe(string procRoot) : ISocketFileProbe
{
    /// <inheritdoc/>
    public Errno StatAsHolder(int pid, byte[] name, out FileIdentity file)
    {
        bool relative = name[0] != (byte)'/';
        byte[] prefix = System.Text.Encoding.ASCII.GetBytes($"{procRoot}/{pid}/{(relative ? "cwd/" : "root")}");
        byte[] full = new byte[prefix.Length + name.Length + 1];
        prefix.CopyTo(full, 0);
        name.CopyTo(full, prefix.Length);
        return Stat(full, out file);
    }

    /// <inheritdoc/>
    public Errno StatHere(byte[] name, out FileIdentity file) => Stat(ProcFs.Zero(name), out file);

    /// <inheritdoc/>
    public byte[]? ResolveDirectory(int pid, byte[] directory)
    {
        if (pid <= 0)
        {
            return ProcFs.ResolveDirectory(ProcFs.Zero(directory));
        }
        // Through the holder's root; the kernel names the result from ours, so a holder under another
        // root (a container) gets that root's prefix taken off, and a result outside it means nothing there.
        Span<byte> rootLink = stackalloc byte[4096];
        int n = ProcFs.ReadLink(Libc.AT_FDCWD, ProcFs.Zero($"{procRoot}/{pid}/root"), rootLink);
        if (n <= 0 || rootLink[0] != (byte)'/')
        {
            return null;
        }
        byte[] prefix = System.Text.Encoding.ASCII.GetBytes($"{procRoot}/{pid}/root");
        byte[]? resolved = ProcFs.ResolveDirectory(ProcFs.Zero([.. prefix, .. directory]));
        ReadOnlySpan<byte> root = rootLink[..n];
        if (resolved is null || root.SequenceEqual("/"u8))
        {
            return resolved;
        }
        if (resolved.AsSpan().SequenceEqual(root))
        {
            return "/"u8.ToArray();
        }
        return resolved.AsSpan().StartsWith(root) && resolved[root.Length] == (byte)'/' ? resolved[root.Length..] : null;
    }

    private static Errno Stat(byte[] pathZ, out FileIdentity file)
    {
        Errno errno = PathStat.Lstat(pathZ, out var st);
        file = new FileIdentity(st.Major, st.Minor, st.Inode) { Mode = errno == Errno.None ? st.Mode : null, Uid = errno == Errno.None ? st.Uid : null, Gid = errno == Errno.None ? st.Gid : null };
        return errno;
    }
}

/// <summary>
/// Whether a pathname socket's path still reaches its file (<see cref="SocketFileStatus"/>): compares
/// what stat finds at the name, resolved in the first holder's view, with the file identity the
/// kernel gave (VFS). Pure apart from the probe; remembers answers for one snapshot only, since files
/// are unlinked and replaced between snapshots.
/// </summary>
internal sealed class SocketFileCheck(ISocketFileProbe? probe)
{
    // Keyed by the holder, the exact name bytes (Latin-1 maps each byte to its own char) and the file
    // identity: sockets bound to the same path at different times have different files and answers.
    private readonly Dictionary<(int, string, uint, uint), (SocketFileStatus Status, FileIdentity Found)> _cache = [];
    private readonly Dictionary<(int, string), string?> _resolved = [];
    // Every server end accepted from a listener carries the listener's file: one record for all of
    // them (records compare by value; 10,000 accepted ends were 640 KB of equal copies).
    private readonly Dictionary<SocketFile, SocketFile> _files = [];
    // The answer per (holder, name, file), looked up from the name's bytes: every accepted end carries
    // its listener's name, and making the keys above for each (two strings and two records) was 3 MiB
    // of garbage while 40,000 sockets were projected.
    private readonly Dictionary<FileKey, SocketFile> _answers = new(FileKeyComparer.Instance);

    /// <summary>A check that answers Unknown to everything (file checks turned off).</summary>
    public static SocketFileCheck Disabled => new(null);

    /// <summary>The status of the file at <paramref name="name"/>, bound with kernel dev_t <paramref name="device"/> and <paramref name="inode"/>.</summary>
    public SocketFileStatus Check(byte[]? name, uint device, uint inode, IReadOnlyList<SocketHolder> holders)
        => File(name, device, inode, holders).Status;

    /// <summary>
    /// The socket file bound with kernel dev_t <paramref name="device"/> and <paramref name="inode"/>: its
    /// status, and while the path reaches it (status Ok) its mode and owner, and the name as it resolves
    /// now when a symlinked directory makes that another text (<see cref="SocketFile.ResolvedPath"/>).
    /// </summary>
    public SocketFile File(byte[]? name, uint device, uint inode, IReadOnlyList<SocketHolder> holders)
    {
        var key = new FileKey(holders.Count > 0 ? holders[0].Pid : 0, name, device, inode);
        if (!_answers.TryGetValue(key, out SocketFile? file))
        {
            _answers[key] = file = Answer(name, device, inode, holders);
        }
        return file;
    }

    private SocketFile Answer(byte[]? name, uint device, uint inode, IReadOnlyList<SocketHolder> holders)
    {
        var (status, found) = Lookup(name, device, inode, holders);
        var file = new SocketFile(device >> 20, device & 0xFFFFF, inode, status);
        if (status != SocketFileStatus.Ok)
        {
            return Shared(file);
        }
        string? resolved = null;
        if (probe is not null && name is { Length: > 1 } && name[0] == (byte)'/')
        {
            int pid = holders.Count > 0 ? holders[0].Pid : 0;
            var key = (pid, System.Text.Encoding.Latin1.GetString(name));
            if (!_resolved.TryGetValue(key, out resolved))
            {
                _resolved[key] = resolved = ResolvedPath(probe, name, pid);
            }
        }
        return Shared(file with { Mode = found.Mode is ushort m ? (ushort)(m & 0xFFF) : null, Uid = found.Uid, Gid = found.Gid, ResolvedPath = resolved });
    }

    /// <summary>The record equal to <paramref name="file"/> made before in this snapshot, or <paramref name="file"/>.</summary>
    private SocketFile Shared(SocketFile file)
    {
        if (_files.TryGetValue(file, out var same))
        {
            return same;
        }
        _files[file] = file;
        return file;
    }

    private (SocketFileStatus, FileIdentity) Lookup(byte[]? name, uint device, uint inode, IReadOnlyList<SocketHolder> holders)
    {
        if (probe is null || name is not { Length: > 0 } || name[0] == 0)
        {
            return (SocketFileStatus.Unknown, default);
        }
        int pid = holders.Count > 0 ? holders[0].Pid : 0;
        var key = (pid, System.Text.Encoding.Latin1.GetString(name), device, inode);
        if (_cache.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var answer = Resolve(probe, name, device, inode, pid);
        _cache[key] = answer;
        return answer;
    }

    // The directory resolved, the last component as bound (it is the socket itself, never a link followed).
    private static string? ResolvedPath(ISocketFileProbe probe, byte[] name, int pid)
    {
        int slash = Array.LastIndexOf(name, (byte)'/');
        byte[] directory = slash == 0 ? "/"u8.ToArray() : name[..slash];
        if (probe.ResolveDirectory(pid, directory) is not { } real)
        {
            return null;
        }
        byte[] full = real is [(byte)'/'] ? [.. real, .. name.AsSpan(slash + 1)] : [.. real, .. name.AsSpan(slash)];
        return full.AsSpan().SequenceEqual(name) ? null : SocketName.Display(full);
    }

    private static (SocketFileStatus, FileIdentity) Resolve(ISocketFileProbe probe, byte[] name, uint device, uint inode, int pid)
    {
        bool relative = name[0] != (byte)'/';
        Errno errno = Errno.EACCES;
        FileIdentity found = default;
        if (pid > 0)
        {
            errno = probe.StatAsHolder(pid, name, out found);
        }
        if (errno is Errno.EACCES or Errno.EPERM && !relative)
        {
            errno = probe.StatHere(name, out found);
        }
        if (errno == Errno.None)
        {
            bool same = found.Inode == inode && found.Major == device >> 20 && found.Minor == (device & 0xFFFFF);
            // A relative path is resolved from the holder's cwd now, which may not be where it was bound.
            return (same ? SocketFileStatus.Ok : relative ? SocketFileStatus.Unknown : SocketFileStatus.Replaced, found);
        }
        if ((errno is Errno.ENOENT or Errno.ENOTDIR) && !relative)
        {
            return (SocketFileStatus.Deleted, default);
        }
        return (SocketFileStatus.Unknown, default);
    }
}

/// <summary>What a socket file's answer depends on: the holder it is checked as, the name bound, the file's identity.</summary>
internal readonly record struct FileKey(int Pid, byte[]? Name, uint Device, uint Inode);

/// <summary>Compares <see cref="FileKey"/>s by the name's bytes, not by the array.</summary>
internal sealed class FileKeyComparer : IEqualityComparer<FileKey>
{
    public static readonly FileKeyComparer Instance = new();

    public bool Equals(FileKey x, FileKey y)
        => x.Pid == y.Pid && x.Device == y.Device && x.Inode == y.Inode && NameBytesComparer.Instance.Equals(x.Name, y.Name);

    public int GetHashCode(FileKey key) => HashCode.Combine(key.Pid, key.Device, key.Inode, NameBytesComparer.Instance.GetHashCode(key.Name));
}
