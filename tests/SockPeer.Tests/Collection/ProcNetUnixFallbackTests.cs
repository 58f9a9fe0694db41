using SockPeer.Collection;
using SockPeer.Netlink;
using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Collection;

/// <summary>/proc/net/unix rows turned into records as sock_diag would give them.</summary>
public class ProcNetUnixFallbackTests
{
    [Fact]
    public void Rows_become_records_with_tcp_states_each_inode_once()
    {
        ProcNetUnixEntry[] rows =
        [
            new(10, 1, 1, true, "/run/a.sock"u8.ToArray()),
            new(11, 1, 3, false, null),
            new(12, 2, 1, false, [0, (byte)'x']),
            new(11, 1, 3, false, null), // seen twice while the table changed
        ];

        var records = ProcNetUnixFallback.ToRecords(rows);

        Assert.Equal([10u, 11u, 12u], records.Select(r => r.Inode));
        Assert.Equal([UnixDiagState.Listen, UnixDiagState.Established, UnixDiagState.Close], records.Select(r => r.State));
        Assert.Equal([(byte)1, (byte)1, (byte)2], records.Select(r => r.Type));
        Assert.All(records, r => Assert.False(r.HasPeer));
        Assert.Equal("/run/a.sock"u8.ToArray(), records[0].Name);
    }
}
