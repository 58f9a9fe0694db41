using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A listener whose socket file was unlinked after bind().</summary>
public class DeletedSocketFileTests
{
    /// <summary>A listener whose file is removed; the file's inode and device are noted first.</summary>
    private static SocketScene Unlinked() => SocketScene.Build()
        .Listen("deleted")
        .Then("""
            st = os.stat(ADDR["deleted"])
            EXTRA.update(file_ino=st.st_ino, major=os.major(st.st_dev), minor=os.minor(st.st_dev))
            """)
        .Unlink("deleted")
        .Start();

    [Fact]
    public void Library_reports_the_file_deleted()
    {
        using var scene = Unlinked();
        var deleted = scene.Socket("deleted");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(deleted.Inode)!;
        Assert.False(File.Exists(deleted.Path));
        Assert.Equal(deleted.Path, listener.Name);
        Assert.Equal(SocketFileStatus.Deleted, listener.File!.Status);
        Assert.Equal((ulong)scene.Scenario.Info.GetProperty("file_ino").GetUInt64(), listener.File.Inode);
        Assert.Equal($"{scene.Scenario.Int("major")}:{scene.Scenario.Int("minor")}", listener.File.Device);
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal([new SocketHolder(scene.Pid, deleted.Fd)], listener.Holders);
    }

    [Fact]
    public void Cli_json_reports_the_file_deleted()
    {
        using var scene = Unlinked();
        var deleted = scene.Socket("deleted");
        var list = SockpeerCli.ListOf(scene.Pid);

        var file = list.Socket(deleted.Inode).GetProperty("file");
        Assert.Equal("deleted", file.Str("status"));
        Assert.Equal(scene.Scenario.Info.GetProperty("file_ino").GetUInt64(), file.GetProperty("inode").GetUInt64());
        Assert.Equal($"{scene.Scenario.Int("major")}:{scene.Scenario.Int("minor")}", file.Str("device"));
    }
}
