using System.Buffers.Text;

namespace SockPeer.Proc;

/// <summary>
/// Parses /proc/net/protocols for the kernel's count of AF_UNIX sockets in use in one namespace,
/// which the count check compares with what sock_diag returned:
/// <code>protocol  size sockets  memory press maxhdr  slab module     cl co di ac io in de sh ss gs se re sp bi br ha uh gp em
/// UNIX-STREAM 1024    41      -1   NI       0   yes  kernel      n  y  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n
/// UNIX      1024    101      -1   NI       0   yes  kernel      n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n  n</code>
/// UNIX counts datagram and seqpacket sockets, UNIX-STREAM stream ones (kernel 6.1+ splits them;
/// older kernels have only UNIX).
/// </summary>
internal static class ProcNetProtocols
{
    /// <summary>The sum of the "sockets" column of the UNIX and UNIX-STREAM rows; false when neither row has one.</summary>
    public static bool TryParseUnixInUse(ReadOnlySpan<byte> text, out long inUse)
    {
        inUse = 0;
        bool found = false;
        foreach (var line in new LineEnumerator(text))
        {
            if (!line.StartsWith("UNIX"u8))
            {
                continue;
            }
            var rest = line;
            var protocol = NextField(ref rest);
            if (!protocol.SequenceEqual("UNIX"u8) && !protocol.SequenceEqual("UNIX-STREAM"u8))
            {
                continue;
            }
            _ = NextField(ref rest); // size
            var sockets = NextField(ref rest);
            if (Utf8Parser.TryParse(sockets, out long v, out int used) && used == sockets.Length && v >= 0 && inUse <= long.MaxValue - v)
            {
                inUse += v;
                found = true;
            }
        }
        if (!found)
        {
            inUse = 0;
        }
        return found;
    }

    /// <summary>The next space-separated field, advancing <paramref name="rest"/> past it.</summary>
    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> rest)
    {
        int start = 0;
        while (start < rest.Length && rest[start] == (byte)' ')
        {
            start++;
        }
        rest = rest[start..];
        int end = rest.IndexOf((byte)' ');
        if (end < 0)
        {
            end = rest.Length;
        }
        var field = rest[..end];
        rest = rest[end..];
        return field;
    }
}
