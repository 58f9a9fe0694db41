using SockPeer.Interop;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// uid → user name from the passwd file, kept between snapshots and read again only when the file
/// changed: another size, modification time or inode (tools such as useradd write a new file and
/// rename it over the old one).
/// </summary>
internal sealed class UserNames(string passwdPath)
{
    private (bool Exists, long Size, DateTime Modified, ulong Inode)? _version;
    private Dictionary<uint, string>? _names;

    /// <summary>The names, read again if the file changed since the last call; null when it cannot be read.</summary>
    /// <param name="changed">True when this call read the file (the first call always does).</param>
    public Dictionary<uint, string>? Get(out bool changed)
    {
        var version = Version();
        changed = version != _version;
        if (changed)
        {
            _version = version;
            _names = Read();
        }
        return _names;
    }

    private (bool, long, DateTime, ulong) Version()
    {
        try
        {
            var info = new FileInfo(passwdPath);
            if (!info.Exists)
            {
                return (false, 0, default, 0);
            }
            _ = ProcFs.Stat(Libc.AT_FDCWD, ProcFs.Zero(passwdPath), follow: true, out _, out _, out ulong inode, out _, out _);
            return (true, info.Length, info.LastWriteTimeUtc, inode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (false, 0, default, 0);
        }
    }

    private Dictionary<uint, string>? Read()
    {
        try
        {
            return ProcParsers.ParsePasswd(File.ReadAllBytes(passwdPath));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
