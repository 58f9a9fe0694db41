namespace SockPeer.Tests.Inventory;

/// <summary>
/// A procfs look-alike in a temporary directory, for what a real kernel will not do on demand: give
/// a pid to a new process while the test watches. Files are laid out as proc(5) lays them out; fd
/// entries are symlinks to socket:[N], which readlinkat reads as it reads /proc/PID/fd/N.
/// </summary>
internal sealed class FakeProcfs : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("sockpeer-fakeproc-").FullName;

    public void Process(int pid, ulong startTime, string comm, string[] cmdline, uint uid, params (int Fd, uint Inode)[] fds)
    {
        string dir = Path.Combine(Root, pid.ToString());
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        Directory.CreateDirectory(Path.Combine(dir, "ns"));
        File.WriteAllText(Path.Combine(dir, "stat"), $"{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {startTime} 1000 200 18446744073709551615\n");
        File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
        File.WriteAllText(Path.Combine(dir, "status"), $"Name:\t{comm}\nPPid:\t1\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n");
        File.WriteAllText(Path.Combine(dir, "cgroup"), "0::/user.slice\n");
        SetCmdline(pid, cmdline);
        File.CreateSymbolicLink(Path.Combine(dir, "ns", "net"), "net:[4026531840]");
        foreach (var (fd, inode) in fds)
        {
            File.CreateSymbolicLink(Path.Combine(dir, "fd", fd.ToString()), $"socket:[{inode}]");
        }
    }

    public void SetCmdline(int pid, string[] cmdline)
        => File.WriteAllText(Path.Combine(Root, pid.ToString(), "cmdline"), string.Concat(cmdline.Select(a => a + "\0")));

    public void Remove(int pid) => Directory.Delete(Path.Combine(Root, pid.ToString()), recursive: true);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
