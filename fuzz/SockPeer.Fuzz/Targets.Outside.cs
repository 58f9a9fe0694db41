using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using SockPeer.Proc;
using SockPeer.Serve.Config;
using SockPeer.Serve.Filters;
using SockPeer.Views;

namespace SockPeer.Fuzz;

/// <summary>
/// Targets for input that comes from outside the kernel's socket tables: /proc/PID/mountinfo (the
/// procfs options and the `ip netns` mounts), sockpeer-serve's web config file, and a request's query
/// string read into the filter vocabulary (what /api/snapshot and the live page accept from anyone
/// who can reach the port).
/// </summary>
internal static partial class Targets
{
    /// <summary>
    /// Contract: never throws. A line is accepted only with a " - " separator after the six fixed
    /// fields; every accepted mount point is found again by FindMount; a netns mount is an nsfs line;
    /// HidePid never reports "processes not hidden" values.
    /// </summary>
    private static void MountInfo(ReadOnlySpan<byte> data)
    {
        var lines = new List<byte[]>();
        ReadOnlySpan<byte> rest = data;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)'\n');
            lines.Add((end < 0 ? rest : rest[..end]).ToArray());
            rest = end < 0 ? [] : rest[(end + 1)..];
        }
        foreach (byte[] line in lines)
        {
            if (!ProcMountInfo.TryParseLine(line, out MountInfoLine entry))
            {
                continue;
            }
            string[] fields = Encoding.UTF8.GetString(line).Split(' ');
            int separator = Array.IndexOf(fields, "-", 6);
            Check(fields.Length > 7 && separator >= 6 && separator + 1 < fields.Length, "a line without ' - ' after six fields was accepted");
            Check(ProcMountInfo.FindMount(data, entry.MountPoint) is not null, $"FindMount does not find the accepted mount point '{entry.MountPoint}'");
            string? hide = ProcMountInfo.HidePid(entry.SuperOptions);
            Check(hide is not ("" or "0" or "off"), $"HidePid reported '{hide}'");
        }
        List<(string MountPoint, ulong NetNs)> mounts = ProcMountInfo.NetNsMounts(data);
        Check(mounts.Count <= lines.Count, "more netns mounts than lines");
        foreach (var (mountPoint, _) in mounts)
        {
            Check(ProcMountInfo.FindMount(data, mountPoint) is not null, "a netns mount point FindMount does not know");
        }
    }

    /// <summary>
    /// Contract: a <see cref="WebConfig"/> or <see cref="WebConfigException"/> (one line), never
    /// another exception; every accepted user has a bcrypt-shaped hash and a name without ':'.
    /// Certificate paths resolve under a folder that does not exist, so nothing is read from disk.
    /// </summary>
    private static void WebConfigTarget(ReadOnlySpan<byte> data)
    {
        string text = Encoding.UTF8.GetString(data);
        WebConfig config;
        try
        {
            config = WebConfig.Parse(text, "/nonexistent-sockpeer-fuzz/web.yml");
        }
        catch (WebConfigException e)
        {
            Check(!e.Message.Contains('\n', StringComparison.Ordinal), "a web config error spans lines");
            return;
        }
        Check(config.Certificate is null, "a certificate was loaded from a folder that does not exist");
        foreach (var (user, hash) in config.Users)
        {
            Check(user.Length > 0 && !user.Contains(':', StringComparison.Ordinal), $"user name '{user}' was accepted");
            Check(hash.Length == 60 && hash.StartsWith("$2", StringComparison.Ordinal), "a hash that is not bcrypt-shaped was accepted");
        }
    }

    /// <summary>
    /// Contract: the input as a request's query string (ASP.NET's own parser, as Kestrel hands it to
    /// the routes) gives a filter or <see cref="FilterException"/>, never another exception. A filter
    /// holds only positive pids; a path glob without '[' or '\' matches the name its '*' and '?'
    /// spell (the pattern with '*' dropped and '?' as 'x'), and a literal pattern matches itself.
    /// </summary>
    private static void Filter(ReadOnlySpan<byte> data)
    {
        string text = Encoding.UTF8.GetString(data);
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> query = QueryHelpers.ParseQuery(text);
        SocketFilter filter;
        try
        {
            filter = ListFilter.With(new SocketFilter(), query);
        }
        catch (FilterException e)
        {
            Check(!e.Message.Contains('\n', StringComparison.Ordinal), "a filter error spans lines");
            return;
        }
        Check(filter.Pids.All(p => p > 0), "a pid below 1 was accepted");
        if (filter.Name is { } glob)
        {
            string pattern = glob.Pattern;
            if (pattern.AsSpan().IndexOfAny("[\\") < 0)
            {
                string spelled = pattern.Replace("*", "", StringComparison.Ordinal).Replace('?', 'x');
                Check(glob.Matches(spelled), $"'{pattern}' does not match '{spelled}'");
                Check(!glob.Matches(null), "a glob matched no name");
            }
        }
    }
}
