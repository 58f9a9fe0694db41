using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Reachability;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer check TARGET [--as USER|UID] [--from PID] [--type T] [--try]`: what a connect(2) to a
/// socket name would get, why, and what would fix it. The engine decides (<see cref="ConnectRules"/>);
/// this command gathers the request, renders the answer and, for --try, runs the real connect in a child
/// (a hidden mode of this executable). Exit 0 when the connect would succeed, 1 when it would fail.
/// </summary>
internal static class CheckCommand
{
    private const string TryRole = "__check-try";

    private static readonly Argument<string> Target = new("target") { Description = "A socket path, or @NAME for an abstract name" };
    private static readonly Option<string?> As = new("--as") { Description = "Check as this user (name or uid), with its groups from the user database; default: the caller, or --from's process", HelpName = "USER|UID" };
    private static readonly Option<int?> From = new("--from") { Description = "Check from this process's point of view: its mount namespace and root, its network namespace, and its credentials unless --as", HelpName = "PID" };
    private static readonly Option<string> Type = new("--type") { Description = "The client's socket type", DefaultValueFactory = _ => "stream", HelpName = "stream|dgram|seqpacket" };
    private static readonly Option<bool> Try = new("--try") { Description = "Also make the real connect (in a child with the client's credentials and namespaces), close it at once, and show its errno" };

    public static Command Build()
    {
        var command = new Command("check", "Tell whether a connect to PATH (or @NAME) would succeed, the errno it would get, why, and what would fix it");
        Type.AcceptOnlyFromAmong("stream", "dgram", "seqpacket");
        From.CompletionSources.Add(Completions.Pids);
        command.Arguments.Add(Target);
        command.Options.Add(As);
        command.Options.Add(From);
        command.Options.Add(Type);
        command.Options.Add(Try);
        command.SetAction(Run);
        return command;
    }

    /// <summary>The hidden mode --try runs in a child: the connect, its errno on stdout.</summary>
    public static Command BuildTryRole()
    {
        var target = new Argument<string>("target");
        var args = new Argument<string[]>("credentials") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(TryRole) { Hidden = true };
        command.Arguments.Add(target);
        command.Arguments.Add(args);
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            // TYPE UID GID GROUPS(comma list or -) FROM(pid or -)
            string[] a = parse.GetValue(args) ?? [];
            if (a.Length != 5)
            {
                throw new CliException("usage: __check-try TARGET TYPE UID GID GROUPS FROM", ReturnCode.Usage);
            }
            var type = ParseType(a[0]);
            uint[] groups = a[3] == "-" ? [] : a[3].Split(',').Select(g => uint.Parse(g, CultureInfo.InvariantCulture)).ToArray();
            var client = new ClientCredentials(uint.Parse(a[1], CultureInfo.InvariantCulture), uint.Parse(a[2], CultureInfo.InvariantCulture), groups);
            int? from = a[4] == "-" ? null : int.Parse(a[4], CultureInfo.InvariantCulture);
            var result = ConnectChecker.Try(parse.GetValue(target)!, type, client, from);
            using var stdout = Output.OpenStdout();
            using var w = Output.Writer(stdout);
            w.WriteLine(result.Failure is { } f ? "failure " + f : result.Errno is { } e ? "errno " + e : "connected");
            return ReturnCode.Ok;
        }));
        return command;
    }

    private static UnixSocketType ParseType(string text) => text switch
    {
        "stream" => UnixSocketType.Stream,
        "dgram" => UnixSocketType.Dgram,
        "seqpacket" => UnixSocketType.SeqPacket,
        _ => throw new CliException($"--type takes stream, dgram or seqpacket, not '{text}'", ReturnCode.Usage),
    };

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "check", FilterOptions.All);
        GlobalOptions.Reject(parse, "check", GlobalOptions.Table);
        string target = parse.GetValue(Target) ?? "";
        if (target.Length == 0)
        {
            throw new CliException("an empty path is not a socket name", ReturnCode.Usage);
        }
        var type = ParseType(parse.GetValue(Type) ?? "stream");
        int? from = parse.GetValue(From);
        if (from is int pid && (pid <= 0 || !Directory.Exists($"/proc/{pid}")))
        {
            throw new CliException(pid <= 0 ? $"--from takes a process id, not {pid}" : $"no process {pid}", pid <= 0 ? ReturnCode.Usage : ReturnCode.Failure);
        }
        ClientCredentials client;
        if (parse.GetValue(As) is { } user)
        {
            client = ConnectChecker.User(user) ?? throw new CliException($"no user '{SocketName.Escape(user)}' in the user database", ReturnCode.Usage);
        }
        else if (from is int p)
        {
            client = ConnectChecker.OfProcess(p) ?? throw new CliException($"cannot read the credentials of process {p}");
        }
        else
        {
            client = ConnectChecker.Current();
        }
        var view = ConnectChecker.See(target, type, client, from);
        var (inventory, check) = Snapshot.Query(parse, snapshot => ConnectRules.Decide(view, snapshot), c => c.HolderPids);
        ConnectTrialResult? trial = parse.GetValue(Try) ? RunTrial(target, type, client, from) : null;
        using var stdout = Output.OpenStdout();
        if (GlobalOptions.AsJson(parse))
        {
            Json.CheckJsonWriter.Write(stdout, inventory, check, trial);
        }
        else
        {
            Output.Warn(parse, inventory.WarningDetails);
            using var w = Output.Writer(stdout);
            Write(w, inventory, check, trial);
        }
        return check.WouldConnect ? ReturnCode.Ok : ReturnCode.Failure;
    });

    private static ConnectTrialResult RunTrial(string target, UnixSocketType type, ClientCredentials client, int? from)
    {
        string self = Environment.ProcessPath ?? throw new CliException("--try: cannot find this executable to run the connect in a child");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            TryRole, target, type.ToText(), client.Uid.ToString(CultureInfo.InvariantCulture), client.Gid.ToString(CultureInfo.InvariantCulture),
            client.Groups.Count == 0 ? "-" : string.Join(',', client.Groups), from?.ToString(CultureInfo.InvariantCulture) ?? "-",
        })
        {
            info.ArgumentList.Add(a);
        }
        using var child = Process.Start(info) ?? throw new CliException("--try: cannot start the child");
        string output = child.StandardOutput.ReadToEnd().Trim();
        string error = child.StandardError.ReadToEnd().Trim();
        child.WaitForExit();
        return output switch
        {
            "connected" => new ConnectTrialResult(null, null),
            _ when output.StartsWith("errno ", StringComparison.Ordinal) => new ConnectTrialResult(output[6..], null),
            _ when output.StartsWith("failure ", StringComparison.Ordinal) => new ConnectTrialResult(null, output[8..]),
            _ => new ConnectTrialResult(null, error.Length > 0 ? error : $"the child exited with {child.ExitCode}"),
        };
    }

    private static void Write(StreamWriter w, SocketInventory inventory, ConnectCheck check, ConnectTrialResult? trial)
    {
        string shown = SocketName.Escape(check.Target);
        w.WriteLine($"{shown}: {check.Verdict.ToText()}{(check.Errno is { } e ? $" ({e})" : "")}");
        string who = check.Client.User is { } u ? $"{u} (uid {check.Client.Uid})" : $"uid {check.Client.Uid}";
        string from = check.FromPid is int pid ? $" from pid {pid}'s view" : "";
        w.WriteLine(check.WouldConnect
            ? $"  a {check.Type.ToText()} connect as {who}{from} would succeed: {check.Reason}"
            : $"  a {check.Type.ToText()} connect as {who}{from} would fail: {check.Reason}");
        if (check.Path.Count > 0)
        {
            w.WriteLine("  path:");
            int width = Math.Min(60, check.Path.Max(s => s.Path.Length));
            foreach (var step in check.Path)
            {
                string mode = step.Type is null ? "(missing)" : ConnectRules.ModeText((ushort)(TypeBits(step.Type) | (step.Mode ?? 0)));
                string owner = step.Uid is uint su && step.Gid is uint sg ? $"{Owner(su, sg)}" : "";
                string link = step.LinkTarget is { } t ? $" -> {SocketName.Escape(t)}" : "";
                w.WriteLine($"    {SocketName.Escape(step.Path).PadRight(width)}  {mode,-10}  {owner,-17}  {(step.Ok ? "ok" : "DENIED")}{link}".TrimEnd().Replace("DENIED", step.Type is null ? "missing" : "denied", StringComparison.Ordinal));
            }
        }
        if (check.Listener is { } l)
        {
            w.WriteLine($"  bound there: {Describe(inventory, l)}");
        }
        foreach (var s in check.Elsewhere)
        {
            w.WriteLine($"  same name elsewhere: {Describe(inventory, s)}");
        }
        if (check.Fix is { } fix)
        {
            w.WriteLine($"  fix: {fix}");
        }
        foreach (string note in check.Notes)
        {
            w.WriteLine($"  note: {note}");
        }
        if (trial is not null)
        {
            string got = trial.Failure is { } f ? $"could not be made ({f})" : trial.Errno is { } te ? $"failed with {te}" : "connected";
            string agree = trial.Failure is not null ? "" : trial.Errno == check.Errno ? " (as predicted)" : " (NOT as predicted)";
            w.WriteLine($"  try: the real connect {got}{agree}");
        }
    }

    private static string Describe(SocketInventory inventory, UnixSocket s)
    {
        var parts = new List<string> { $"socket {s.Inode} {s.Type.ToText()} {s.Role.ToText()}" };
        if (s.Role == SocketRole.Listener && s.PendingCount is uint p && s.Backlog is uint b)
        {
            parts.Add($"backlog {p}/{b}{(s.BacklogFull ? " FULL" : "")}");
        }
        if (s.File is { } f)
        {
            parts.Add($"file {f.Status.ToText()} inode {f.Inode}");
        }
        if (s.NetNs is ulong ns)
        {
            parts.Add($"netns {ns}");
        }
        var holders = s.Holders.Select(h => h.Pid).Distinct().Select(pid => inventory.FindProcess(pid) is { } proc ? $"{proc.Command}[{pid}]" : $"pid {pid}").ToList();
        parts.Add(holders.Count > 0 ? "held by " + string.Join(", ", holders) : "no holder seen");
        return string.Join(", ", parts);
    }

    private static string Owner(uint uid, uint gid) => $"{UserName(uid)}:{GroupName(gid)}";

    private static string UserName(uint uid) => ConnectChecker.User(uid.ToString(CultureInfo.InvariantCulture))?.User ?? uid.ToString(CultureInfo.InvariantCulture);

    private static string GroupName(uint gid) => gid.ToString(CultureInfo.InvariantCulture);

    private static int TypeBits(string type) => type switch
    {
        "directory" => 0x4000,
        "symlink" => 0xA000,
        "socket" => 0xC000,
        "fifo" => 0x1000,
        "char" => 0x2000,
        "block" => 0x6000,
        _ => 0x8000,
    };
}
