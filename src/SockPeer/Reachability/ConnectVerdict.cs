namespace SockPeer.Reachability;

/// <summary>What a connect(2) to a socket name would meet (<c>sockpeer check</c>'s <c>verdict</c>).</summary>
public enum ConnectVerdict
{
    /// <summary>The connect would succeed (<c>ok</c>).</summary>
    Ok,
    /// <summary>A component of the path does not exist, or is not a directory (<c>no-such-file</c>; ENOENT, ENOTDIR, ELOOP).</summary>
    NoSuchFile,
    /// <summary>The file at the path is not a socket (<c>not-a-socket</c>; ECONNREFUSED).</summary>
    NotASocket,
    /// <summary>A directory denies search, or the socket file denies write (<c>permission</c>; EACCES).</summary>
    Permission,
    /// <summary>A socket file nothing is bound to (<c>stale</c>; ECONNREFUSED).</summary>
    Stale,
    /// <summary>Bound, but not listening (<c>not-listening</c>; ECONNREFUSED).</summary>
    NotListening,
    /// <summary>The socket there is of another type (<c>wrong-type</c>; EPROTOTYPE).</summary>
    WrongType,
    /// <summary>The listener's accept queue is full (<c>backlog-full</c>; EAGAIN for a non-blocking connect, a blocking one waits).</summary>
    BacklogFull,
    /// <summary>
    /// The name is bound, but not where the client looks (<c>other-namespace</c>; ECONNREFUSED): the path as the
    /// client sees it is another file than the one the listener is bound to (a bind mount pinning the old
    /// file), or an abstract name is bound only in other network namespaces.
    /// </summary>
    OtherNamespace,
    /// <summary>The name does not fit <c>sun_path</c> (<c>path-too-long</c>; EINVAL).</summary>
    PathTooLong,
    /// <summary>No socket is bound to the abstract name in any namespace (<c>no-such-name</c>; ECONNREFUSED).</summary>
    NoSuchName,
}

/// <summary>Text forms of <see cref="ConnectVerdict"/>.</summary>
public static class ConnectVerdictText
{
    /// <summary>The word of the <c>verdict</c> field: <c>ok</c>, <c>no-such-file</c>, <c>not-a-socket</c>, <c>permission</c>, <c>stale</c>, <c>not-listening</c>, <c>wrong-type</c>, <c>backlog-full</c>, <c>other-namespace</c>, <c>path-too-long</c>, <c>no-such-name</c>.</summary>
    public static string ToText(this ConnectVerdict verdict) => verdict switch
    {
        ConnectVerdict.Ok => "ok",
        ConnectVerdict.NoSuchFile => "no-such-file",
        ConnectVerdict.NotASocket => "not-a-socket",
        ConnectVerdict.Permission => "permission",
        ConnectVerdict.Stale => "stale",
        ConnectVerdict.NotListening => "not-listening",
        ConnectVerdict.WrongType => "wrong-type",
        ConnectVerdict.BacklogFull => "backlog-full",
        ConnectVerdict.OtherNamespace => "other-namespace",
        ConnectVerdict.PathTooLong => "path-too-long",
        _ => "no-such-name",
    };
}
