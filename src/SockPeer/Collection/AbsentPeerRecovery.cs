using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;

namespace SockPeer.Collection;

/// <summary>
/// Finds stream peers that a dump names but skipped. unix_diag walks each hash bucket by position
/// between replies, so a socket that closes in a bucket already begun makes the dump skip a live one
/// after it, with no error. A stream or seqpacket peer lives in the same namespace (the server half
/// is made in the client's), so one named in the dump but absent from it was skipped or has closed
/// since: asked for by inode, the first answers and is added. Datagram peers may live in other
/// namespaces and are not asked for.
/// </summary>
internal static class AbsentPeerRecovery
{
    /// <summary>Single lookups beyond this many cost more than a second dump.</summary>
    internal const int MaxPeerLookups = 32;

    /// <summary>
    /// The dumped records plus the absent peers that could be found; warns of those that were not
    /// looked up. A channel that fails midway keeps what was found before it failed.
    /// </summary>
    public static IReadOnlyList<UnixDiagRecord> Recover(IDiagChannel channel, DiagDump dump, IReadOnlyList<UnixDiagRecord> dumped, ulong? netns, List<InventoryWarning> warnings)
    {
        var records = new List<UnixDiagRecord>(dumped);
        try
        {
            return Recover(channel, dump, records, warnings) ? records : dumped;
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException)
        {
            // The dump itself worked: this is no reason to fall back to /proc/net/unix.
            warnings.Add(new InventoryWarning(WarningCode.PeersNotLookedUp, $"peers absent from the dump could not be looked up ({e.Message}); some may be missing") { NetNs = netns });
            return records;
        }
    }

    /// <summary>Adds to <paramref name="records"/>; false when nothing was absent.</summary>
    private static bool Recover(IDiagChannel channel, DiagDump dump, List<UnixDiagRecord> records, List<InventoryWarning> warnings)
    {
        var present = new HashSet<uint>(records.Count);
        foreach (var r in records)
        {
            present.Add(r.Inode);
        }
        List<uint> absent = AbsentPeers(records, present);
        if (absent.Count == 0)
        {
            return false;
        }
        if (absent.Count > MaxPeerLookups)
        {
            // Heavy churn. Each lookup walks the whole table in the kernel; a second dump costs about
            // as much as a few dozen of them and brings back what the first one skipped.
            DiagDumpResult again = dump.Dump(channel, UnixDiagState.All, NamespaceDumper.MainShow);
            warnings.AddRange(again.WarningDetails);
            foreach (var r in again.Records)
            {
                if (present.Add(r.Inode))
                {
                    records.Add(r);
                }
            }
            absent = AbsentPeers(records, present);
        }
        int asked = 0;
        foreach (uint inode in absent)
        {
            if (asked == MaxPeerLookups)
            {
                warnings.Add(new InventoryWarning(WarningCode.PeersNotLookedUp, $"{absent.Count - asked} stream peer(s) named in the dump were absent from it and not looked up: "
                    + "closed while it ran, or skipped by it (a sock_diag dump is not a snapshot)") { Count = absent.Count - asked });
                break;
            }
            asked++;
            // Never UID in a single query: unpatched 5.3–6.0 kernels oops on it.
            if (dump.QueryOne(channel, inode, ulong.MaxValue, NamespaceDumper.MainShow & ~UnixDiagShow.Uid, out _) is { } one && one.Inode == inode)
            {
                records.Add(one);
            }
        }
        return true;
    }

    /// <summary>Stream and seqpacket peers that <paramref name="records"/> name and are not <paramref name="present"/>, each once.</summary>
    internal static List<uint> AbsentPeers(IReadOnlyList<UnixDiagRecord> records, HashSet<uint> present)
    {
        var absent = new List<uint>();
        var named = new HashSet<uint>();
        foreach (var r in records)
        {
            if (r.HasPeer && r.Peer != 0 && r.Type != (byte)UnixSocketType.Dgram && !present.Contains(r.Peer) && named.Add(r.Peer))
            {
                absent.Add(r.Peer);
            }
        }
        return absent;
    }
}
