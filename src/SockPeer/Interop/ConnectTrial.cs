using System.Runtime.InteropServices;
using SockPeer.Model;
using SockPeer.Reachability;

namespace SockPeer.Interop;

/// <summary>
/// The real connect of <c>check --try</c>, on a thread of its own that first leaves the process's shared
/// filesystem state (unshare CLONE_FS), enters the client's network and mount namespaces and its root and
/// working directory, takes its credentials with the raw system calls (which change this thread only), then
/// connects non-blocking, closes at once and ends. Nothing else ever runs on that thread.
/// </summary>
internal static unsafe class ConnectTrialRunner
{
    internal static ConnectTrialResult Run(string target, UnixSocketType type, ClientCredentials client, int? fromPid, string procRoot = "/proc")
    {
        ConnectTrialResult? result = null;
        var thread = new Thread(() => result = OnThisThread(target, type, client, fromPid, procRoot), 256 * 1024)
        { IsBackground = true, Name = "sockpeer-try" };
        thread.Start();
        thread.Join();
        return result!;
    }

    private static ConnectTrialResult OnThisThread(string target, UnixSocketType type, ClientCredentials client, int? fromPid, string procRoot)
    {
        var (unshare, setgroups, setresgid, setresuid) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (272, 116, 119, 117),
            Architecture.Arm64 => (97, 159, 149, 147),
            _ => (-1, -1, -1, -1),
        };
        if (unshare < 0)
        {
            return new ConnectTrialResult(null, "this architecture is not supported for --try");
        }
        if (Libc.syscall6(unshare, Libc.CLONE_FS, 0, 0, 0, 0) != 0)
        {
            return Failed("unshare(CLONE_FS)");
        }
        if (fromPid is int pid)
        {
            using var net = Open($"{procRoot}/{pid}/ns/net");
            using var mnt = Open($"{procRoot}/{pid}/ns/mnt");
            using var root = Open($"{procRoot}/{pid}/root");
            using var cwd = Open($"{procRoot}/{pid}/cwd");
            if (net.IsInvalid || mnt.IsInvalid || root.IsInvalid || cwd.IsInvalid)
            {
                return Failed($"open {procRoot}/{pid}/ns, root or cwd");
            }
            if (Libc.setns(net.Fd, Libc.CLONE_NEWNET) != 0)
            {
                return Failed($"entering the network namespace of pid {pid}");
            }
            if (Libc.setns(mnt.Fd, Libc.CLONE_NEWNS) != 0)
            {
                return Failed($"entering the mount namespace of pid {pid}");
            }
            byte* dot = stackalloc byte[] { (byte)'.', 0 };
            if (Libc.fchdir(root.Fd) != 0 || Libc.chroot(dot) != 0 || Libc.fchdir(cwd.Fd) != 0)
            {
                return Failed($"taking the root and working directory of pid {pid}");
            }
        }
        uint[] groups = [.. client.Groups];
        fixed (uint* g = groups)
        {
            if (Libc.syscall6(setgroups, groups.Length, (nint)g, 0, 0, 0) != 0 && Libc.LastErrno != Errno.EPERM || !SameOrSet(setresgid, client.Gid) || !SameOrSet(setresuid, client.Uid))
            {
                return Failed($"taking uid {client.Uid} and gid {client.Gid}");
            }
        }
        int sockType = type switch { UnixSocketType.Dgram => 2, UnixSocketType.SeqPacket => 5, _ => 1 };
        int fd = Libc.socket(Libc.AF_UNIX, sockType | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return Failed("socket(AF_UNIX)");
        }
        try
        {
            byte[] name = target.StartsWith('@') ? [0, .. System.Text.Encoding.UTF8.GetBytes(target[1..])] : [.. System.Text.Encoding.UTF8.GetBytes(target), 0];
            byte[] address = new byte[Math.Max(2 + name.Length, 110)];
            address[0] = Libc.AF_UNIX;
            name.CopyTo(address, 2);
            fixed (byte* a = address)
            {
                int rc = Libc.connect(fd, a, (uint)(2 + name.Length));
                return rc == 0 ? new ConnectTrialResult(null, null) : new ConnectTrialResult(ErrnoText.Name(Libc.LastErrno), null);
            }
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    // The raw call, for this thread only; taking the ids it already has needs no privilege.
    private static bool SameOrSet(int number, uint id) => Libc.syscall6(number, (nint)id, (nint)id, (nint)id, 0, 0) == 0;

    private static ConnectTrialResult Failed(string what) => new(null, $"{what}: {ErrnoText.Describe(Libc.LastErrno)}");

    private static SafeFd Open(string path)
    {
        byte[] z = ProcFs.Zero(path);
        fixed (byte* p = z)
        {
            return new SafeFd(Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC));
        }
    }
}
