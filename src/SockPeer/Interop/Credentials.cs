using System.Globalization;
using System.Text;
using SockPeer.Reachability;

namespace SockPeer.Interop;

/// <summary>Client credentials from the user database (getpwnam, getgrouplist) or from /proc/PID/status.</summary>
internal static unsafe class Credentials
{
    /// <summary>A user by name or number: uid, primary group and supplementary groups; null when the name is unknown.</summary>
    internal static ClientCredentials? ForUser(string user)
    {
        Libc.passwd* pw;
        bool numeric = uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid);
        if (numeric)
        {
            pw = Libc.getpwuid(uid);
        }
        else
        {
            byte[] z = ProcFs.Zero(user);
            fixed (byte* p = z)
            {
                pw = Libc.getpwnam(p);
            }
        }
        if (pw is null)
        {
            // A uid with no entry: it has no groups but its own number's.
            return numeric ? new ClientCredentials(uid, uid, []) : null;
        }
        string name = Marshal(pw->pw_name);
        uint gid = pw->pw_gid;
        var groups = new List<uint>();
        int n = 64;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            uint[] buffer = new uint[n];
            int count = n;
            byte[] z = ProcFs.Zero(name);
            int rc;
            fixed (byte* p = z)
            fixed (uint* g = buffer)
            {
                rc = Libc.getgrouplist(p, gid, g, &count);
            }
            if (rc >= 0)
            {
                groups.AddRange(buffer.Take(count).Where(x => x != gid).Distinct());
                break;
            }
            n = Math.Max(count, n * 2);
        }
        return new ClientCredentials(pw->pw_uid, gid, groups) { User = name };
    }

    /// <summary>The filesystem uid and gid and the groups of a process; null when it cannot be read.</summary>
    internal static ClientCredentials? OfProcess(int pid, string procRoot = "/proc")
    {
        byte[] buffer = new byte[8192];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero($"{procRoot}/{pid}/status"), ref buffer);
        if (n <= 0)
        {
            return null;
        }
        uint? uid = null, gid = null;
        var groups = new List<uint>();
        foreach (string line in Encoding.UTF8.GetString(buffer, 0, n).Split('\n'))
        {
            // "Uid:\treal\teffective\tsaved\tfilesystem": the kernel checks the filesystem ids.
            string[] f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 5 && f[0] == "Uid:")
            {
                uid = uint.Parse(f[4], CultureInfo.InvariantCulture);
            }
            else if (f.Length == 5 && f[0] == "Gid:")
            {
                gid = uint.Parse(f[4], CultureInfo.InvariantCulture);
            }
            else if (f.Length > 0 && f[0] == "Groups:")
            {
                groups.AddRange(f.Skip(1).Select(g => uint.Parse(g, CultureInfo.InvariantCulture)));
            }
        }
        if (uid is not uint u || gid is not uint g0)
        {
            return null;
        }
        Libc.passwd* pw = Libc.getpwuid(u);
        return new ClientCredentials(u, g0, groups.Where(x => x != g0).ToList()) { User = pw is null ? null : Marshal(pw->pw_name) };
    }

    private static string Marshal(byte* s)
    {
        int len = 0;
        while (s[len] != 0)
        {
            len++;
        }
        return Encoding.UTF8.GetString(s, len);
    }
}
