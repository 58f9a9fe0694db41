using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A listener whose socket file was unlinked after bind().</summary>
public class DeletedSocketFileTests
{
    private const string Unlinked = """
        path = os.path.join(sys.argv[1], "deleted.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(4)
        st = os.stat(path)
        os.unlink(path)
        ready(path=path, listener=ino(srv), listener_fd=srv.fileno(), file_ino=st.st_ino,
              major=os.major(st.st_dev), minor=os.minor(st.st_dev))
        hold()
        """;

    [Fact]
    public void Library_reports_the_file_deleted()
    {
        using var scenario = Scenario.Start(Unlinked);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        Assert.False(File.Exists(scenario.Str("path")));
        Assert.Equal(scenario.Str("path"), listener.Name);
        Assert.Equal(SocketFileStatus.Deleted, listener.File!.Status);
        Assert.Equal((ulong)scenario.Info.GetProperty("file_ino").GetUInt64(), listener.File.Inode);
        Assert.Equal($"{scenario.Int("major")}:{scenario.Int("minor")}", listener.File.Device);
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("listener_fd"))], listener.Holders);
    }

    [Fact]
    public void Cli_json_reports_the_file_deleted()
    {
        using var scenario = Scenario.Start(Unlinked);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var file = list.Socket(scenario.Inode("listener")).GetProperty("file");
        Assert.Equal("deleted", file.Str("status"));
        Assert.Equal(scenario.Info.GetProperty("file_ino").GetUInt64(), file.GetProperty("inode").GetUInt64());
        Assert.Equal($"{scenario.Int("major")}:{scenario.Int("minor")}", file.Str("device"));
    }
}
