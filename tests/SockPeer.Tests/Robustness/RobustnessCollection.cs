using SockPeer.Tests.Infrastructure;
using System.Diagnostics;
using SockPeer.Inventory;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// The robustness tests load the machine (thousands of sockets and fds, churn) and one of them
/// changes net.core.somaxconn: they run alone, never beside other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RobustnessCollection
{
    public const string Name = "Robustness";
}

internal static class Privilege
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;
}

/// <summary>Sets a /proc/sys value and puts the old one back on dispose, whatever happened in between.</summary>
internal sealed class SysctlScope : IDisposable
{
    private readonly string _path;
    private readonly string _old;

    public SysctlScope(string path, string value)
    {
        _path = path;
        _old = File.ReadAllText(path).Trim();
        File.WriteAllText(path, value);
    }

    public void Dispose() => File.WriteAllText(_path, _old);
}

/// <summary>Runs a program to completion with a timeout, killing it (and its tree) if it overruns.</summary>
internal static class Run
{
    public static (int Code, string Stdout, string Stderr) Program(string file, IEnumerable<string> args, TimeSpan timeout, string? workDir = null)
    {
        var result = ChildProcess.Run(file, args, timeout, info =>
        {
            if (workDir is not null)
            {
                info.WorkingDirectory = workDir;
            }
        });
        return (result.ExitCode, result.Stdout, result.Stderr);
    }
}

/// <summary>The same consistency rules tests/stress/churn.py applies to JSON, on a library snapshot.</summary>
internal static class Consistency
{
    /// <summary>Every violation in the snapshot; empty when it is consistent.</summary>
    public static List<string> Violations(SocketInventory inventory)
    {
        var bad = new List<string>();
        var seen = new HashSet<uint>();
        uint previous = 0;
        foreach (var s in inventory.Sockets)
        {
            if (!seen.Add(s.Inode))
            {
                bad.Add($"socket {s.Inode} listed twice");
            }
            if (s.Inode < previous)
            {
                bad.Add($"sockets not ordered by inode at {s.Inode}");
            }
            previous = s.Inode;
        }
        foreach (var s in inventory.Sockets)
        {
            for (int i = 1; i < s.Holders.Count; i++)
            {
                var (a, b) = (s.Holders[i - 1], s.Holders[i]);
                if (a.Pid > b.Pid || (a.Pid == b.Pid && a.Fd >= b.Fd))
                {
                    bad.Add($"holders of {s.Inode} not sorted or duplicated");
                    break;
                }
            }
            if (s.InFlight && s.Holders.Count > 0)
            {
                bad.Add($"{s.Inode} is in flight but held");
            }
            if (s.State != UnixSocketState.Listening && (s.Pending.Count > 0 || s.PendingCount is not null))
            {
                bad.Add($"{s.Inode} is not listening but has pending clients");
            }
            if (s.Peer is uint peer && peer != 0 && inventory.Find(peer) is { } p)
            {
                bool back = p.Peer == s.Inode;
                bool client = s.Type == UnixSocketType.Dgram && p.Clients.Contains(s.Inode);
                // Not a snapshot: the peer was read after this socket closed (0), or while it still waited to be accepted (null).
                bool sawClose = s.Type != UnixSocketType.Dgram && (p.Peer == 0 || (p.Peer is null && p.State == UnixSocketState.Connected));
                if (!back && !client && !sawClose)
                {
                    bad.Add($"{s.Inode} ({s.Type}, {s.State}, holders {Holders(s)}) names {peer} as peer; {peer} ({p.Type}, {p.State}, holders {Holders(p)}, pending on {p.PendingOn?.ToString() ?? "-"}) names {p.Peer?.ToString() ?? "null"} and has clients [{string.Join(',', p.Clients)}]");
                }
            }
            foreach (uint c in s.Clients)
            {
                if (inventory.Find(c) is { } cs && cs.Peer != s.Inode)
                {
                    bad.Add($"client {c} of {s.Inode} does not name it as peer");
                }
            }
            if (s.IsSocketPair && (s.Peer is not uint pp || inventory.Find(pp) is not { IsSocketPair: true } other || other.Peer != s.Inode))
            {
                bad.Add($"{s.Inode} is a socketpair end without a mutual peer");
            }
            if (s.PendingOn is uint l && inventory.Find(l) is { } listener && !listener.Pending.Contains(s.Inode))
            {
                bad.Add($"{s.Inode} is pending on {l}, which does not list it");
            }
            foreach (uint c in s.Pending)
            {
                if (inventory.Find(c) is { } cs && cs.PendingOn != s.Inode)
                {
                    bad.Add($"pending client {c} of {s.Inode} does not name it");
                }
            }
            if (s.PendingPartial && inventory.Warnings.Count == 0)
            {
                bad.Add($"{s.Inode} has a partial pending list and there is no warning");
            }
        }
        return bad;
    }

    private static string Holders(UnixSocket s) => s.Holders.Count == 0 ? "none" : string.Join(',', s.Holders.Select(h => $"{h.Pid}/{h.Fd}"));
}
