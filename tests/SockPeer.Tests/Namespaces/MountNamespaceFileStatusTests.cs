using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Namespaces;

/// <summary>
/// A socket's path means what it means in its holder's mount namespace. A server in a new mount (and
/// network) namespace binds under a private tmpfs mounted over a directory where the host has
/// sockets of its own at the very same paths: each side's status must come from its own view.
/// </summary>
public class MountNamespaceFileStatusTests
{
    private const string SamePathsInTwoMountNamespaces = """
        d = os.path.join(sys.argv[1], "shared-name")
        os.mkdir(d)
        def listen(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            return s
        # The host's sockets, on the real directory.
        hsrv = listen(os.path.join(d, "srv.sock"))
        hgone = listen(os.path.join(d, "gone.sock"))
        hre = listen(os.path.join(d, "re.sock"))
        rep = spawn(["unshare", "--mount", "--net"], r'''
        import subprocess
        d = sys.argv[1]
        subprocess.check_call(["mount", "-t", "tmpfs", "sockpeer-test", d])
        def listen(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path)
            s.listen(1)
            return s
        srv = listen(os.path.join(d, "srv.sock"))
        gone = listen(os.path.join(d, "gone.sock"))
        os.unlink(os.path.join(d, "gone.sock"))
        old = listen(os.path.join(d, "re.sock"))
        os.unlink(os.path.join(d, "re.sock"))
        new = listen(os.path.join(d, "re.sock"))
        report(srv=ino(srv), gone=ino(gone), old=ino(old), new=ino(new))
        hold()
        ''', d)
        ready(host_srv=ino(hsrv), host_gone=ino(hgone), host_re=ino(hre), dir=d,
              ns_pid=rep["pid"], ns_srv=rep["srv"], ns_gone=rep["gone"], ns_old=rep["old"], ns_new=rep["new"])
        hold()
        """;

    [SkippableFact]
    public void Library_checks_each_path_in_its_holders_mount_namespace()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.Start(SamePathsInTwoMountNamespaces);

        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();

        SocketFileStatus Status(string field) => inventory.Find(scenario.Inode(field))!.File!.Status;
        Assert.Equal(SocketFileStatus.Ok, Status("host_srv"));
        Assert.Equal(SocketFileStatus.Ok, Status("host_gone"));
        Assert.Equal(SocketFileStatus.Ok, Status("host_re"));
        // In the host's view these paths reach the host's sockets: only the holder's view tells the truth.
        Assert.Equal(SocketFileStatus.Ok, Status("ns_srv"));
        Assert.Equal(SocketFileStatus.Deleted, Status("ns_gone"));
        Assert.Equal(SocketFileStatus.Replaced, Status("ns_old"));
        Assert.Equal(SocketFileStatus.Ok, Status("ns_new"));
        Assert.Equal(inventory.Find(scenario.Inode("host_srv"))!.Name, inventory.Find(scenario.Inode("ns_srv"))!.Name);
    }

    [SkippableFact]
    public void Cli_json_reports_the_same_statuses()
    {
        Ns.RequireRoot();
        using var scenario = NsScripts.Start(SamePathsInTwoMountNamespaces);

        var list = SockpeerCli.Json("list");

        string Status(string field) => list.Socket(scenario.Inode(field)).GetProperty("file").GetProperty("status").GetString()!;
        Assert.Equal("ok", Status("host_srv"));
        Assert.Equal("ok", Status("ns_srv"));
        Assert.Equal("deleted", Status("ns_gone"));
        Assert.Equal("replaced", Status("ns_old"));
        Assert.Equal("ok", Status("ns_new"));

        // `who` resolves PATH in the caller's (the host's) view: it reaches the host's listener; the
        // namespaced listener bound to the same name is another file.
        var who = SockpeerCli.Json("who", Path.Combine(scenario.Str("dir"), "srv.sock"));
        var listener = Assert.Single(who.GetProperty("listeners").EnumerateArray());
        Assert.Equal(scenario.Inode("host_srv"), listener.GetProperty("inode").GetUInt32());
    }
}
