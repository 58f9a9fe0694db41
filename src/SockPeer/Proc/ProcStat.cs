using System.Buffers.Text;

namespace SockPeer.Proc;

/// <summary>
/// Parses /proc/PID/stat for what tells one process from another that later gets the same pid: its
/// start time (field 22, in clock ticks since boot), with its comm (field 2) and parent (field 4).
/// <code>pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
/// cutime cstime priority nice num_threads itrealvalue starttime ...</code>
/// comm may itself hold spaces and parentheses: it ends at the last ')' (proc(5)).
/// </summary>
internal static class ProcStat
{
    /// <summary>Reads comm, ppid and starttime; false when the text is not a stat line.</summary>
    public static bool TryParse(ReadOnlySpan<byte> stat, out ReadOnlySpan<byte> comm, out int ppid, out ulong startTime)
    {
        comm = default;
        ppid = 0;
        startTime = 0;
        int open = stat.IndexOf((byte)'(');
        int close = stat.LastIndexOf((byte)')');
        if (open < 0 || close < open)
        {
            return false;
        }
        var rest = stat[(close + 1)..];
        // Fields after comm: 3 state, 4 ppid, ..., 22 starttime.
        ReadOnlySpan<byte> ppidField = default, startField = default;
        for (int field = 3; field <= 22; field++)
        {
            if (rest.IsEmpty || rest[0] != (byte)' ')
            {
                return false;
            }
            rest = rest[1..];
            int end = rest.IndexOfAny((byte)' ', (byte)'\n');
            var value = end < 0 ? rest : rest[..end];
            if (value.IsEmpty)
            {
                return false; // no field of stat is ever empty
            }
            rest = end < 0 ? [] : rest[end..];
            if (field == 4)
            {
                ppidField = value;
            }
            else if (field == 22)
            {
                startField = value;
            }
        }
        if (!Utf8Parser.TryParse(ppidField, out ppid, out int used) || used != ppidField.Length
            || !Utf8Parser.TryParse(startField, out startTime, out used) || used != startField.Length)
        {
            ppid = 0;
            startTime = 0;
            return false;
        }
        comm = stat[(open + 1)..close];
        return true;
    }
}
