using SockPeer.Collection;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>User names are read again only when the passwd file changes.</summary>
public sealed class UserNamesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-passwd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_file_is_read_once_until_it_changes_or_is_replaced()
    {
        string path = Path.Combine(_dir, "passwd");
        File.WriteAllText(path, "root:x:0:0::/root:/bin/sh\n");
        var users = new UserNames(path);

        Assert.Equal("root", users.Get(out bool changed)![0]);
        Assert.True(changed);
        Assert.Equal("root", users.Get(out changed)![0]);
        Assert.False(changed);

        // Replaced by rename, same size and the same modification time: the inode tells.
        string next = Path.Combine(_dir, "passwd.new");
        File.WriteAllText(next, "toor:x:0:0::/root:/bin/sh\n");
        File.SetLastWriteTimeUtc(next, File.GetLastWriteTimeUtc(path));
        File.Move(next, path, overwrite: true);
        Assert.Equal("toor", users.Get(out changed)![0]);
        Assert.True(changed);

        File.AppendAllText(path, "nobody:x:65534:65534::/:/bin/false\n");
        Assert.Equal("nobody", users.Get(out changed)![65534]);
        Assert.True(changed);

        File.Delete(path);
        Assert.Null(users.Get(out changed));
        Assert.True(changed);
    }
}
