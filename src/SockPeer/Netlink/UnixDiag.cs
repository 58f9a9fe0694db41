namespace SockPeer.Netlink;

/// <summary>The request's show mask (UDIAG_SHOW_*). Kept apart from <see cref="UnixDiagAttribute"/> so the two cannot be mixed.</summary>
[Flags]
internal enum UnixDiagShow : uint
{
    /// <summary>Nothing extra.</summary>
    None = 0,
    /// <summary>UDIAG_SHOW_NAME.</summary>
    Name = 0x1,
    /// <summary>UDIAG_SHOW_VFS.</summary>
    Vfs = 0x2,
    /// <summary>UDIAG_SHOW_PEER.</summary>
    Peer = 0x4,
    /// <summary>UDIAG_SHOW_ICONS.</summary>
    Icons = 0x8,
    /// <summary>UDIAG_SHOW_RQLEN.</summary>
    RqLen = 0x10,
    /// <summary>UDIAG_SHOW_MEMINFO.</summary>
    MemInfo = 0x20,
    /// <summary>UDIAG_SHOW_UID.</summary>
    Uid = 0x40,
}

/// <summary>Attribute types of a unix_diag reply (UNIX_DIAG_*).</summary>
internal enum UnixDiagAttribute : ushort
{
    /// <summary>UNIX_DIAG_NAME: raw sun_path bytes.</summary>
    Name = 0,
    /// <summary>UNIX_DIAG_VFS: struct unix_diag_vfs.</summary>
    Vfs = 1,
    /// <summary>UNIX_DIAG_PEER: u32 inode.</summary>
    Peer = 2,
    /// <summary>UNIX_DIAG_ICONS: u32 inodes of pending connections.</summary>
    Icons = 3,
    /// <summary>UNIX_DIAG_RQLEN: struct unix_diag_rqlen.</summary>
    RqLen = 4,
    /// <summary>UNIX_DIAG_MEMINFO: u32[SK_MEMINFO_VARS].</summary>
    MemInfo = 5,
    /// <summary>UNIX_DIAG_SHUTDOWN: u8.</summary>
    Shutdown = 6,
    /// <summary>UNIX_DIAG_UID: u32.</summary>
    Uid = 7,
}

/// <summary>Socket states as sock_diag reports them (TCP_* numbering).</summary>
internal static class UnixDiagState
{
    /// <summary>TCP_ESTABLISHED: connected.</summary>
    public const byte Established = 1;
    /// <summary>TCP_CLOSE: unconnected.</summary>
    public const byte Close = 7;
    /// <summary>TCP_LISTEN: listening.</summary>
    public const byte Listen = 10;
    /// <summary>Every state.</summary>
    public const uint All = 0xFFFFFFFF;
    /// <summary>Only listeners (1 &lt;&lt; TCP_LISTEN).</summary>
    public const uint ListenOnly = 1u << Listen;
}
