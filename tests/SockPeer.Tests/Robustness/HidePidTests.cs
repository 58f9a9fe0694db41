using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// /proc mounted with hidepid=2: an unprivileged reader sees only its own user's processes. The test
/// mounts a second procfs with hidepid=2 in a private mount namespace (unshare -m) and runs the
/// library against it (ProcRoot) as nobody, in another process (<see cref="InventoryProbe"/>).
/// </summary>
[Collection(RobustnessCollection.Name)]
public class HidePidTests(ITestOutputHelper output)
{
    private static SocketScene RootHolder() => SocketScene.Build().Pair("pair").Start();

    // Runs as nobody: holds a socketpair, leaves a socket in flight on a carrier (so scm_fds > 0 on a
    // visible socket), then runs the probe and reports both.
    private const string NobodyHelper = """
        import json, os, socket, subprocess, sys, array
        dotnet, probe, procroot = sys.argv[1:4]
        x, y = socket.socketpair()
        c1, c2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        z1, z2 = socket.socketpair()
        c1.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [z1.fileno()]))])
        in_flight = os.fstat(z1.fileno()).st_ino
        z1.close()
        p = subprocess.run([dotnet, "exec", probe, "inventory", procroot], capture_output=True, text=True, timeout=120)
        print(json.dumps({"pid": os.getpid(), "uid": os.getuid(), "held": os.fstat(x.fileno()).st_ino, "in_flight": in_flight,
                          "carrier": os.fstat(c2.fileno()).st_ino, "code": p.returncode, "stdout": p.stdout, "stderr": p.stderr}))
        """;

    [SkippableFact]
    public void Unprivileged_reader_of_a_hidepid_procfs_is_warned_and_other_users_sockets_are_not_called_in_flight()
    {
        Skip.IfNot(Privilege.IsRoot, "mounting a procfs and switching to nobody needs root");
        Skip.If(Run.Program("sh", ["-c", "command -v unshare && command -v setpriv"], TimeSpan.FromSeconds(10)).Code != 0, "needs unshare and setpriv (util-linux)");

        using var scene = RootHolder();

        var work = Directory.CreateTempSubdirectory("sockpeer-hidepid-");
        try
        {
            // Everything nobody runs must be readable by nobody: the probe's assemblies, the helper, the mount point.
            var probeDir = Directory.CreateDirectory(Path.Combine(work.FullName, "probe"));
            foreach (var f in Directory.EnumerateFiles(AppContext.BaseDirectory))
            {
                if (f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                {
                    File.Copy(f, Path.Combine(probeDir.FullName, Path.GetFileName(f)));
                }
            }
            string helper = Path.Combine(work.FullName, "helper.py");
            File.WriteAllText(helper, NobodyHelper.Replace("\r", ""));
            string mount = Directory.CreateDirectory(Path.Combine(work.FullName, "proc")).FullName;
            MakeWorldReadable(work.FullName);

            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
                : Path.GetFileName(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            string probe = Path.Combine(probeDir.FullName, "SockPeer.Tests.dll");
            var (code, stdout, stderr) = Run.Program("unshare", ["-m", "--propagation", "private", "--", "sh", "-c",
                """mount -t proc -o hidepid=2 proc "$1" && exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp DOTNET_CLI_TELEMETRY_OPTOUT=1 python3 "$2" "$3" "$4" "$1" """,
                "sh", mount, helper, dotnet, probe], TimeSpan.FromSeconds(150));
            output.WriteLine(stdout.Length > 2000 ? stdout[..2000] + " ..." : stdout);
            output.WriteLine(stderr);
            Assert.True(code == 0, $"the unprivileged helper failed ({code}): {stderr}");
            using var report = JsonDocument.Parse(stdout);
            var r = report.RootElement;
            Assert.Equal(65534, r.GetProperty("uid").GetInt32());
            Assert.True(r.GetProperty("code").GetInt32() == 0, $"the probe failed: {r.GetProperty("stderr").GetString()}");
            using var probeDoc = JsonDocument.Parse(r.GetProperty("stdout").GetString()!);
            var inventory = probeDoc.RootElement;
            Assert.False(inventory.GetProperty("privileged").GetBoolean());

            var warnings = inventory.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            warnings.ForEach(w => output.WriteLine($"warning: {w}"));
            Assert.Contains("procfs is mounted with hidepid=invisible: processes of other users are invisible, their sockets show no holders", warnings);

            var sockets = inventory.GetProperty("sockets").EnumerateArray().ToDictionary(s => s.GetProperty("inode").GetUInt32());
            int helperPid = r.GetProperty("pid").GetInt32();
            // The reader's own user's processes are visible...
            Assert.Contains(helperPid, sockets[r.GetProperty("held").GetUInt32()].GetProperty("holders").EnumerateArray().Select(h => h.GetInt32()));
            // The socket really in flight has no holder; with processes hidden, that alone cannot tell it from root's sockets.
            Assert.Empty(sockets[r.GetProperty("in_flight").GetUInt32()].GetProperty("holders").EnumerateArray());
            // ...root's are not: its sockets are listed (sock_diag sees them) without holders, and not in flight.
            foreach (string end in new[] { "a", "b" })
            {
                var s = sockets[scene.Inode("pair." + end)];
                Assert.Empty(s.GetProperty("holders").EnumerateArray());
                Assert.False(s.GetProperty("inFlight").GetBoolean(), $"root's socket {scene.Inode("pair." + end)}, held by a hidden process, was called in flight");
            }
            Assert.DoesNotContain(scene.Pid, inventory.GetProperty("processes").EnumerateArray().Select(p => p.GetInt32()));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void MakeWorldReadable(string dir)
        => Assert.Equal(0, Run.Program("chmod", ["-R", "a+rX", dir], TimeSpan.FromSeconds(30)).Code);
}
