using SockPeer.Interop;
using SockPeer.Model;

namespace SockPeer.Proc;

// The second half of a holder lookup: reading the details (comm, status, cmdline, namespace, cgroup)
// of each process that holds a socket, through the cache a long-lived reader keeps.
internal sealed partial class ProcScanner
{
    /// <summary>Command, status, cmdline, network namespace and cgroup of each pid; pids that exited are left out.</summary>
    public Dictionary<int, ProcessInfo> ReadProcesses(IReadOnlyCollection<int> pids, IReadOnlyDictionary<uint, string>? users = null)
        => ReadProcesses(pids, users, cache: null);

    /// <summary>As above, taking what <paramref name="cache"/> knows of the same processes; the cache is only read.</summary>
    internal Dictionary<int, ProcessInfo> ReadProcesses(IReadOnlyCollection<int> pids, IReadOnlyDictionary<uint, string>? users, ProcessDetailsCache? cache)
    {
        int procFd = OpenProcRoot();
        try
        {
            return ReadProcesses(procFd, [.. pids], users, cache, keep: false);
        }
        finally
        {
            ProcFs.Close(procFd);
        }
    }

    /// <param name="procFd">The procfs root, open.</param>
    /// <param name="pids">The processes to read.</param>
    /// <param name="users">uid → user name, when known.</param>
    /// <param name="cache">Details of earlier snapshots (read concurrently, replaced after when <paramref name="keep"/>).</param>
    /// <param name="keep">Make the cache hold exactly these processes afterwards.</param>
    private Dictionary<int, ProcessInfo> ReadProcesses(int procFd, int[] pids, IReadOnlyDictionary<uint, string>? users, ProcessDetailsCache? cache, bool keep)
    {
        var infos = new ProcessInfo?[pids.Length];
        var entries = cache is null ? null : new ProcessDetailsCache.Entry?[pids.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = _parallelism };
        ProcLoop.For(pids.Length, options,
            () => new InfoReader(procFd),
            (i, reader) =>
            {
                if (cache is null)
                {
                    infos[i] = reader.Read(pids[i], users);
                }
                else
                {
                    entries![i] = reader.Read(pids[i], users, cache);
                    infos[i] = entries[i]?.Info;
                }
                return reader;
            },
            _ => { });
        var processes = new Dictionary<int, ProcessInfo>(pids.Length);
        foreach (var info in infos)
        {
            if (info is not null)
            {
                processes[info.Pid] = info;
            }
        }
        if (cache is not null && keep)
        {
            var kept = new Dictionary<int, ProcessDetailsCache.Entry>(pids.Length);
            foreach (var e in entries!)
            {
                if (e is { } entry)
                {
                    kept[entry.Info.Pid] = entry;
                }
            }
            cache.Replace(kept);
        }
        return processes;
    }

    /// <summary>Reads comm, status, cmdline and ns/net of one process.</summary>
    private sealed class InfoReader(int procFd)
    {
        private byte[] _buffer = new byte[4096];

        /// <summary>
        /// One process through the cache: /proc/PID/stat says whether it is the process cached (same
        /// start time and comm); if so only its parent and namespace are read again.
        /// </summary>
        public ProcessDetailsCache.Entry? Read(int pid, IReadOnlyDictionary<uint, string>? users, ProcessDetailsCache cache)
        {
            int n = ProcFs.ReadFile(procFd, ProcFs.Zero($"{pid}/stat"), ref _buffer);
            if (n < 0)
            {
                return null; // exited since the fd walk
            }
            if (!ProcStat.TryParse(_buffer.AsSpan(0, n), out var comm, out int ppid, out ulong start))
            {
                return Read(pid, users) is { } uncached ? new ProcessDetailsCache.Entry(0, [], uncached) : null;
            }
            if (cache.TryGet(pid, start, comm, out var cached))
            {
                ulong? netns = ReadNetNs(pid);
                var info = cached.PPid == ppid && cached.NetNs == netns ? cached : cached with { PPid = ppid, NetNs = netns };
                return new ProcessDetailsCache.Entry(start, comm.ToArray(), info);
            }
            byte[] commBytes = comm.ToArray();
            return Read(pid, users, ProcParsers.ParseComm(commBytes)) is { } fresh ? new ProcessDetailsCache.Entry(start, commBytes, fresh) : null;
        }

        private ulong? ReadNetNs(int pid)
        {
            Span<byte> link = stackalloc byte[64];
            int l = ProcFs.ReadLink(procFd, ProcFs.Zero($"{pid}/ns/net"), link);
            return l > 0 && ProcParsers.TryParseNetNsLink(link[..l], out ulong ns) ? ns : null;
        }

        public ProcessInfo? Read(int pid, IReadOnlyDictionary<uint, string>? users, string? command = null)
        {
            if (command is null)
            {
                int c = ProcFs.ReadFile(procFd, ProcFs.Zero($"{pid}/comm"), ref _buffer);
                if (c < 0)
                {
                    return null; // exited since the fd walk
                }
                command = ProcParsers.ParseComm(_buffer.AsSpan(0, c));
            }
            int n;
            int ppid = 0;
            uint uid = 0;
            n = ProcFs.ReadFile(procFd, ProcFs.Zero($"{pid}/status"), ref _buffer);
            if (n > 0)
            {
                _ = ProcParsers.TryParseStatus(_buffer.AsSpan(0, n), out ppid, out uid);
            }
            n = ProcFs.ReadFile(procFd, ProcFs.Zero($"{pid}/cmdline"), ref _buffer);
            string[] cmdline = n > 0 ? ProcParsers.TrimArgv(ProcParsers.ParseCmdline(_buffer.AsSpan(0, n))) : []; // as ps shows a rewritten argv
            ulong? netns = null;
            Span<byte> link = stackalloc byte[64];
            int l = ProcFs.ReadLink(procFd, ProcFs.Zero($"{pid}/ns/net"), link);
            if (l > 0 && ProcParsers.TryParseNetNsLink(link[..l], out ulong ns))
            {
                netns = ns;
            }
            string? user = null;
            _ = users?.TryGetValue(uid, out user);
            ContainerInfo? container = null;
            n = ProcFs.ReadFile(procFd, ProcFs.Zero($"{pid}/cgroup"), ref _buffer);
            if (n > 0)
            {
                container = CgroupParser.Parse(_buffer.AsSpan(0, n));
            }
            return new ProcessInfo
            {
                Pid = pid,
                PPid = ppid,
                Command = command,
                CommandLine = cmdline,
                Uid = uid,
                User = user,
                NetNs = netns,
                Container = container,
            };
        }
    }
}
