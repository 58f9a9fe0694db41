using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// The lossy fallback when the kernel has no unix_diag (CONFIG_UNIX_DIAG off, module absent): the
/// sockets of the caller's namespace from /proc/net/unix, as records without peers, VFS or queues,
/// and a warning that says so.
/// </summary>
internal static class ProcNetUnixFallback
{
    /// <summary>Reads /proc/thread-self/net/unix under <paramref name="procRoot"/>; <paramref name="why"/> is why sock_diag failed. The warnings say that peers are unknown.</summary>
    /// <exception cref="InventoryException">That file cannot be read either: no snapshot at all.</exception>
    public static (IReadOnlyList<UnixDiagRecord> Records, IReadOnlyList<InventoryWarning> Warnings) Read(string procRoot, string why)
    {
        var warnings = new List<InventoryWarning>(2);
        byte[] buffer = new byte[64 * 1024];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(procRoot + "/thread-self/net/unix"), ref buffer, limit: 1 << 30);
        if (n < 0)
        {
            throw new InventoryException($"sock_diag is unavailable ({why}) and /proc/net/unix cannot be read: {ErrnoText.Describe((Errno)(-n))}");
        }
        var entries = ProcNetUnix.Parse(buffer.AsSpan(0, n), out int malformed);
        warnings.Add(new InventoryWarning(WarningCode.ProcNetUnixFallback, $"sock_diag is unavailable ({why}); sockets come from /proc/net/unix: peers are unknown, and names with newlines or NULs may be garbled"));
        if (malformed > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.ProcNetUnixMalformed, $"{malformed} lines of /proc/net/unix could not be parsed (a name with a newline breaks a row)") { Count = malformed });
        }
        return (ToRecords(entries), warnings);
    }

    /// <summary>Rows as records, each inode once; the SS_* state and the listening flag become the TCP_* state sock_diag would give.</summary>
    internal static IReadOnlyList<UnixDiagRecord> ToRecords(IReadOnlyList<ProcNetUnixEntry> entries)
    {
        var records = new List<UnixDiagRecord>(entries.Count);
        var seen = new HashSet<uint>();
        foreach (var e in entries)
        {
            if (!seen.Add(e.Inode))
            {
                continue;
            }
            byte state = e.Listening ? UnixDiagState.Listen : e.SocketState == 3 ? UnixDiagState.Established : UnixDiagState.Close;
            records.Add(new UnixDiagRecord { Type = (byte)e.Type, State = state, Inode = e.Inode, Name = e.Path });
        }
        return records;
    }
}
