using System.Runtime.InteropServices;

namespace SockPeer.Interop;

/// <summary>A file descriptor that is closed exactly once.</summary>
internal sealed class SafeFd : SafeHandle
{
    public SafeFd() : base(new IntPtr(-1), ownsHandle: true) { }

    internal SafeFd(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    internal int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.close((int)handle.ToInt64()) == 0;
}
