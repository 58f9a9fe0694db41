namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// Runs a program under conditions a test makes for it alone: some system calls failing (a seccomp
/// filter), another user, fewer capabilities, or its own mount namespace with something mounted over
/// /proc. These are the real conditions behind most of the engine's warnings.
/// </summary>
public static class Confined
{
    /// <summary>
    /// A launcher: <c>python3 deny.py RULE... -- PROGRAM ARGS...</c>, each RULE <c>SYSCALL[:ARG0]=ERRNO</c>
    /// (socket:16=EPROTONOSUPPORT makes socket(AF_NETLINK, ...) fail), installs a seccomp filter and execs.
    /// </summary>
    private const string DenyScript = """
        import ctypes, os, platform, struct, sys
        machine = platform.machine()
        ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}[machine]
        NR = {"x86_64": {"socket": 41, "setns": 308}, "aarch64": {"socket": 198, "setns": 268}}[machine]
        ERRNO = {"EPROTONOSUPPORT": 93, "EINVAL": 22, "ENOMEM": 12}
        end = sys.argv.index("--")
        rules = []
        for rule in sys.argv[1:end]:
            what, err = rule.split("=")
            name, _, arg = what.partition(":")
            rules.append((NR[name], int(arg) if arg else None, ERRNO[err]))
        def insn(code, k, jt=0, jf=0):
            return struct.pack("HBBI", code, jt, jf, k)
        LD, JEQ, RET, ALLOW, FAIL = 0x20, 0x15, 0x06, 0x7FFF0000, 0x00050000
        prog = [insn(LD, 4), insn(JEQ, ARCH, 1, 0), insn(RET, ALLOW)]   # seccomp_data.arch
        for nr, arg, err in rules:
            prog.append(insn(LD, 0))                                      # seccomp_data.nr
            if arg is None:
                prog += [insn(JEQ, nr, 0, 1), insn(RET, FAIL | err)]
            else:                                                         # and the low half of args[0]
                prog += [insn(JEQ, nr, 0, 3), insn(LD, 16), insn(JEQ, arg, 0, 1), insn(RET, FAIL | err)]
        prog.append(insn(RET, ALLOW))
        code = b"".join(prog)
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        buf = ctypes.create_string_buffer(code, len(code))
        fprog = Fprog(len(code) // 8, ctypes.addressof(buf))
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
            sys.exit("seccomp: " + os.strerror(ctypes.get_errno()))
        os.execvp(sys.argv[end + 1], sys.argv[end + 1:])
        """;

    // Next to the test assembly, where the build output is cleaned.
    private static readonly Lazy<string> Launcher = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "confined-deny.py");
        File.WriteAllText(path, DenyScript.Replace("\r", ""));
        return path;
    });

    /// <summary>The argv prefix that runs what follows with <paramref name="rules"/> failing.</summary>
    public static string[] Deny(params string[] rules) => ["python3", Launcher.Value, .. rules, "--"];

    /// <summary>socket(AF_NETLINK, ...) fails with EPROTONOSUPPORT: a kernel without sock_diag, as the engine sees it.</summary>
    public static string[] NoNetlink => Deny("socket:16=EPROTONOSUPPORT");

    /// <summary>The argv prefix that runs what follows as uid and gid 65534 (nobody), without groups.</summary>
    public static readonly string[] Nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

    /// <summary>The argv prefix that runs what follows as root without <paramref name="capability"/> (e.g. "sys_admin").</summary>
    public static string[] Without(string capability) => ["setpriv", $"--bounding-set=-{capability}", $"--inh-caps=-{capability}", "--"];

    /// <summary>
    /// The argv prefix that runs <c>sh -c SCRIPT</c> in a private mount namespace; the script gets the
    /// rest of the command as "$@" and ends with <c>exec "$@"</c> after mounting what it needs.
    /// </summary>
    public static string[] InMountNamespace(string script) => ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", script + "\nexec \"$@\"", "sh"];

    /// <summary>Runs <paramref name="argv"/> (a prefix from above and the program) to completion.</summary>
    public static CliResult Run(IEnumerable<string> argv, string? workDir = null)
    {
        var all = argv.ToArray();
        return ChildProcess.Run(all[0], all[1..], TimeSpan.FromSeconds(120), info =>
        {
            if (workDir is not null)
            {
                info.WorkingDirectory = workDir;
                info.Environment["HOME"] = workDir;
            }
        });
    }

    /// <summary>A copy of the sockpeer binary in a world-readable directory, for runs as another user.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static string PublicBinary(string dir)
    {
        string binary = Path.Combine(dir, "sockpeer");
        File.Copy(SockpeerCli.Path, binary, overwrite: true);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(binary, (UnixFileMode)0b111_101_101);
        return binary;
    }
}
