namespace SockPeer.Interop;

/// <summary>Linux errno values the engine tells apart (asm-generic/errno-base.h, errno.h).</summary>
internal enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>No such file or directory.</summary>
    ENOENT = 2,
    /// <summary>No such process.</summary>
    ESRCH = 3,
    /// <summary>Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>Try again.</summary>
    EAGAIN = 11,
    /// <summary>Out of memory.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied.</summary>
    EACCES = 13,
    /// <summary>Not a directory.</summary>
    ENOTDIR = 20,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>Not a terminal: an ioctl the object does not know.</summary>
    ENOTTY = 25,
    /// <summary>Too many open files.</summary>
    EMFILE = 24,
    /// <summary>Function not implemented.</summary>
    ENOSYS = 38,
    /// <summary>File name too long.</summary>
    ENAMETOOLONG = 36,
    /// <summary>Too many levels of symbolic links.</summary>
    ELOOP = 40,
    /// <summary>Protocol wrong type for socket.</summary>
    EPROTOTYPE = 91,
    /// <summary>Message too long.</summary>
    EMSGSIZE = 90,
    /// <summary>Protocol not supported.</summary>
    EPROTONOSUPPORT = 93,
    /// <summary>Address family not supported.</summary>
    EAFNOSUPPORT = 97,
    /// <summary>No buffer space available.</summary>
    ENOBUFS = 105,
    /// <summary>Connection refused.</summary>
    ECONNREFUSED = 111,
    /// <summary>Stale handle (wrong socket cookie).</summary>
    ESTALE = 116,
}

internal static class ErrnoText
{
    /// <summary>The symbolic name (<c>ECONNREFUSED</c>), or <c>errno N</c> for one not listed.</summary>
    internal static string Name(Errno errno) => errno switch
    {
        Errno.None => "0",
        Errno.EPERM or Errno.ENOENT or Errno.ESRCH or Errno.EINTR or Errno.EBADF or Errno.EAGAIN or Errno.ENOMEM or Errno.EACCES
            or Errno.ENOTDIR or Errno.EINVAL or Errno.ENOTTY or Errno.EMFILE or Errno.ENAMETOOLONG or Errno.ENOSYS or Errno.ELOOP
            or Errno.EPROTOTYPE or Errno.EMSGSIZE or Errno.EPROTONOSUPPORT or Errno.EAFNOSUPPORT or Errno.ENOBUFS or Errno.ECONNREFUSED
            or Errno.ESTALE => errno.ToString(),
        _ => $"errno {(int)errno}",
    };

    internal static string Describe(Errno errno) => errno switch
    {
        Errno.None => "no error",
        Errno.EPERM => "EPERM (operation not permitted)",
        Errno.ENOENT => "ENOENT (no such file or directory)",
        Errno.ESRCH => "ESRCH (no such process)",
        Errno.EINTR => "EINTR (interrupted)",
        Errno.EACCES => "EACCES (permission denied)",
        Errno.EINVAL => "EINVAL (invalid argument)",
        Errno.EMFILE => "EMFILE (too many open files)",
        Errno.ENOBUFS => "ENOBUFS (no buffer space)",
        Errno.EMSGSIZE => "EMSGSIZE (message too long)",
        Errno.ESTALE => "ESTALE (stale cookie)",
        Errno.EPROTONOSUPPORT => "EPROTONOSUPPORT (protocol not supported)",
        Errno.ENOSYS => "ENOSYS (not implemented by this kernel or libc)",
        Errno.ENOTTY => "ENOTTY (ioctl not supported)",
        Errno.EBADF => "EBADF (bad file descriptor)",
        _ => $"errno {(int)errno}",
    };
}
