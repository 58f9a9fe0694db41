using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// One end as text: `cmd[pid]{container}:fd #inode`. Many holders are abbreviated to the first
/// (`+N in M procs`), except that holders of the pids the user selected are always shown, first,
/// so `--pid 7767` and `grep 'nginx\[7767\]'` find the row; wide prints every holder.
/// </summary>
internal sealed class EndText(SocketInventory inventory, IReadOnlySet<int> selected, bool wide)
{
    private const int SelectedShown = 3;

    // One cached "command[pid]{container}" per process: a busy host's list has tens of thousands of lines.
    private readonly Dictionary<int, string> _processText = [];

    /// <summary>What an end with no visible holder says, everywhere.</summary>
    public string NoHolder(UnixSocket s) => NoHolder(s, inventory);

    /// <summary>What an end with no visible holder says, everywhere (list, peer, watch): <paramref name="inventory"/> is the snapshot it comes from.</summary>
    public static string NoHolder(UnixSocket s, SocketInventory? inventory)
        => s.InFlight ? "(in flight)" : inventory is { ProcessesNotInspected: > 0 } ? "(holder not visible)" : "(no holder)";

    public string Of(UnixSocket s)
    {
        var sb = new StringBuilder(64);
        Append(sb, s);
        return sb.ToString();
    }

    public void Append(StringBuilder sb, UnixSocket s)
    {
        var holders = s.Holders;
        if (holders.Count == 0)
        {
            sb.Append(NoHolder(s)).Append(" #").Append(s.Inode);
            return;
        }
        if (wide || holders.Count <= 2)
        {
            for (int i = 0; i < holders.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }
                AppendHolder(sb, holders[i]);
            }
            sb.Append(" #").Append(s.Inode);
            return;
        }
        int shown = 0;
        if (selected.Count > 0)
        {
            foreach (var h in holders)
            {
                if (selected.Contains(h.Pid) && shown < SelectedShown)
                {
                    if (shown++ > 0)
                    {
                        sb.Append(',');
                    }
                    AppendHolder(sb, h);
                }
            }
        }
        if (shown == 0)
        {
            AppendHolder(sb, holders[0]);
            shown = 1;
        }
        int pids = 1;
        for (int i = 1; i < holders.Count; i++)
        {
            if (holders[i].Pid != holders[i - 1].Pid)
            {
                pids++;
            }
        }
        sb.Append(" +").Append(holders.Count - shown);
        if (pids > 1)
        {
            sb.Append(" in ").Append(pids).Append(" procs");
        }
        sb.Append(" #").Append(s.Inode);
    }

    public string Holder(SocketHolder h)
    {
        var sb = new StringBuilder(48);
        AppendHolder(sb, h);
        return sb.ToString();
    }

    public void AppendHolder(StringBuilder sb, SocketHolder h)
    {
        if (!_processText.TryGetValue(h.Pid, out string? text))
        {
            var p = inventory.FindProcess(h.Pid);
            string command = p is null ? "?" : SocketName.Escape(p.Command);
            string container = p?.Container is { Runtime: not "systemd" } c ? $"{{{c.Runtime}:{SocketName.Escape(c.Name ?? c.Id ?? "?")}}}" : "";
            _processText[h.Pid] = text = $"{command}[{h.Pid}]{container}";
        }
        sb.Append(text).Append(':').Append(h.Fd);
    }

    /// <summary>The user of an end: its first holder's, else the socket owner's; "-" when unknown.</summary>
    public string User(UnixSocket s)
    {
        if (s.Holders.Count > 0 && inventory.FindProcess(s.Holders[0].Pid) is { } p)
        {
            return SocketName.Escape(p.User ?? p.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (s.Uid is uint uid)
        {
            if (_users is null)
            {
                _users = [];
                foreach (var q in inventory.Processes)
                {
                    if (q.User is not null)
                    {
                        _users.TryAdd(q.Uid, SocketName.Escape(q.User));
                    }
                }
            }
            return _users.TryGetValue(uid, out string? name) ? name : uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return "-";
    }

    private Dictionary<uint, string>? _users;

    /// <summary>The container of an end's first holder: `runtime:name`, or "-".</summary>
    public string Container(UnixSocket s)
        => s.Holders.Count > 0 && inventory.FindProcess(s.Holders[0].Pid)?.Container is { } c
            ? $"{c.Runtime}:{SocketName.Escape(c.Name ?? c.Id ?? "?")}"
            : "-";
}
