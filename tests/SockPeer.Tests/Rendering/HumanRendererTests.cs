using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Queries;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Views;
using SockPeer.Views;
using Xunit;

namespace SockPeer.Tests.Rendering;

/// <summary>
/// The human renderer in-process on a hand-built snapshot, compared with golden text in
/// Rendering/Golden/. SOCKPEER_UPDATE_GOLDEN=1 rewrites the files (then read the diff).
/// </summary>
public class HumanRendererTests
{
    private static readonly SocketInventory Snapshot = HandBuiltSnapshot.Build();

    private static string List(TableOptions options, SocketFilter? filter = null, SocketInventory? inventory = null)
    {
        inventory ??= Snapshot;
        var sockets = inventory.Sockets.Where(s => filter is null || filter.Matches(inventory, s)).ToList();
        var text = new StringWriter { NewLine = "\n" };
        new HumanRenderer(text, new Terminal(false), options).WriteList(inventory, new ListAnswer(inventory, sockets));
        return text.ToString();
    }

    private static void Golden(string name, string actual)
    {
        string path = Path.Combine(SockpeerCli.RepoRoot, "tests", "SockPeer.Tests", "Rendering", "Golden", name + ".txt");
        if (Environment.GetEnvironmentVariable("SOCKPEER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"no golden file {path}; run with SOCKPEER_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Table_at_80_columns_fits_without_wrapping()
    {
        string table = List(new TableOptions { Width = 80 });
        Assert.All(Lines(table), l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        Golden("list-80", table);
    }

    /// <summary>
    /// At 80 columns the least useful text gives way first: command names, not the name of the
    /// socket, and never a pid, an fd or an inode (what an operator copies from the row).
    /// </summary>
    [Fact]
    public void Table_at_80_columns_cuts_command_names_before_the_socket_name_and_keeps_every_number()
    {
        string[] narrow = Lines(List(new TableOptions { Width = 80 }));
        string[] wide = Lines(List(new TableOptions { Width = 80, Wide = true }));
        Assert.Equal(wide.Length, narrow.Length);
        var number = new System.Text.RegularExpressions.Regex(@"\[\d+\](?:\{[^}]*\})?:\d+|#\d+");
        for (int i = 1; i < wide.Length; i++)
        {
            // The first holder of each end (the rest fold into "+N in M procs") and every inode.
            var whole = number.Matches(wide[i]).Select(m => System.Text.RegularExpressions.Regex.Replace(m.Value, @"\{[^}]*\}", "{")).ToList();
            var kept = number.Matches(narrow[i]).Select(m => System.Text.RegularExpressions.Regex.Replace(m.Value, @"\{[^}]*\}", "{")).ToList();
            Assert.All(whole.Where(w => w.StartsWith('#')), w => Assert.Contains(w, kept));
            Assert.All(kept, k => Assert.Contains(k, whole));
            Assert.Equal(whole.Count(w => w.StartsWith('#')), kept.Count(k => k.StartsWith('#')));
        }
        // The socket name keeps both its directory's start and its file name.
        int name = narrow[0].IndexOf("NAME", StringComparison.Ordinal);
        var app = Assert.Single(narrow, l => l.Contains("#1003", StringComparison.Ordinal) && l.Contains("conn", StringComparison.Ordinal));
        Assert.True(app.Length - name >= 16, $"NAME cut to {app.Length - name} columns while commands were whole: {app}");
        Assert.StartsWith("/run/", app[name..], StringComparison.Ordinal);
        Assert.EndsWith("/app.sock", app, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_at_200_columns_shows_everything_but_abbreviated_holders()
    {
        string table = List(new TableOptions { Width = 200 });
        Golden("list-200", table);
        Assert.All(Lines(table), l => Assert.True(l.Length <= 200, l));
        Assert.Contains("nginx[7760]:6 +8 in 9 procs #1001", table);
        Assert.Contains("-long-name/app.sock", table);
        Assert.Contains("logger[8003]{docker:web-frontend-canary}:5 #1022", table);
    }

    [Fact]
    public void Wide_shows_every_holder_and_cuts_nothing()
    {
        string table = List(new TableOptions { Width = 80, Wide = true });
        Assert.DoesNotContain("\u2026", table);
        Assert.Contains(string.Join(",", Enumerable.Range(7760, 9).Select(p => $"nginx[{p}]:6")) + " #1001", table);
    }

    [Fact]
    public void A_selected_pid_is_shown_in_an_abbreviated_holder_list_even_when_cut_to_fit()
    {
        var filter = new SocketFilter { Pids = new HashSet<int> { 7767 } };
        foreach (int width in new[] { 80, 200 })
        {
            string table = List(new TableOptions { Width = width, Selected = filter.Pids }, filter);
            var listener = Assert.Single(Lines(table), l => l.Contains("#1001", StringComparison.Ordinal) && l.Contains("listen", StringComparison.Ordinal));
            Assert.Contains("[7767]:6", listener);
        }
    }

    [Fact]
    public void Queues_netns_and_a_full_backlog_are_shown_in_the_default_columns()
    {
        var lines = Lines(List(new TableOptions()));
        Assert.Equal(["TYPE", "STATE", "RECVQ", "SENDQ", "END", "OTHER", "END", "NETNS", "NAME"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.Contains("backlog 6/5 FULL", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("4096/0", StringComparison.Ordinal) || l.Contains(" 4096 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_queues_or_a_second_namespace_those_columns_stay_out()
    {
        var hostOnly = new SocketInventory(
            Snapshot.Sockets.Where(s => s.NetNs == HandBuiltSnapshot.HostNs && s.RecvQueue == 0 && s.State != Model.UnixSocketState.Listening && s.Peer != 1002).ToList(),
            Snapshot.Processes, [], peersKnown: true);
        var header = Lines(List(new TableOptions(), inventory: hostOnly))[0];
        Assert.DoesNotContain("RECVQ", header);
        Assert.DoesNotContain("NETNS", header);
    }

    public static TheoryData<string> EveryColumn() => new() { "TYPE", "STATE", "END", "OTHER", "NAME", "USER", "RECVQ", "SENDQ", "BACKLOG", "NETNS", "CONTAINER", "FILE", "INODE", "PID" };

    [Theory]
    [MemberData(nameof(EveryColumn))]
    public void Output_takes_each_column(string column)
    {
        string table = List(new TableOptions { Columns = Columns.ParseList(column.ToLowerInvariant() + ",inode") });
        var lines = Lines(table);
        Assert.StartsWith(column == "OTHER" ? "OTHER END" : column, lines[0].TrimStart());
        Assert.Equal(SocketViews.Rows(Snapshot, Snapshot.Sockets).Count() + 1, lines.Length);
        Golden("column-" + column.ToLowerInvariant(), table);
    }

    [Fact]
    public void Unknown_columns_are_usage_errors()
    {
        var e = Assert.Throws<SockPeer.Cli.CliException>(() => Columns.ParseList("TYPE,BOGUS"));
        Assert.Equal(SockPeer.Cli.ReturnCode.Usage, e.Code);
        Assert.Throws<SockPeer.Cli.CliException>(() => Columns.ParseSort("-nope"));
    }

    [Fact]
    public void No_header_drops_the_first_line()
    {
        var with = Lines(List(new TableOptions()));
        var without = Lines(List(new TableOptions { Header = false }));
        static string Words(string l) => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(string.Join("\n", with[1..].Select(Words)), string.Join("\n", without.Select(Words)));
        Assert.DoesNotContain(without, l => l.StartsWith("TYPE", StringComparison.Ordinal));
    }

    [Fact]
    public void Sort_orders_rows_by_a_column_descending_with_a_minus()
    {
        var rows = Lines(List(new TableOptions { Columns = Columns.ParseList("RECVQ,INODE"), Sort = Columns.ParseSort("-recvq,inode"), Header = false }));
        var recv = rows.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => f[0].Split('/').Sum(long.Parse)).ToList();
        Assert.Equal(recv.OrderByDescending(x => x), recv);
        Assert.Equal(4096, recv[0]);
        var names = Lines(List(new TableOptions { Columns = Columns.ParseList("NAME"), Sort = Columns.ParseSort("name"), Header = false }));
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Golden("sort-recvq", string.Join("\n", rows) + "\n");
    }

    [Fact]
    public void Summary_counts_types_and_states_and_shows_the_full_listener()
    {
        var text = new StringWriter { NewLine = "\n" };
        new HumanRenderer(text, new Terminal(false), new TableOptions()).WriteSummary(Snapshot, SocketSummary.Of(Snapshot, Snapshot.Sockets));
        Assert.Contains("6/5 FULL", text.ToString());
        Golden("summary", text.ToString());
    }

    [Fact]
    public void Peer_shows_queues_roles_and_the_user_of_each_end()
    {
        var text = new StringWriter { NewLine = "\n" };
        var report = SocketQueries.Peer(Snapshot, Snapshot.Find(1003)!);
        new HumanRenderer(text, new Terminal(false), new TableOptions()).WritePeer(Snapshot, report);
        string output = text.ToString();
        Assert.Contains("(client) recvq 4096 sendq 512", output);
        Assert.Contains("(server) recvq 0 sendq 0", output);
        Assert.Contains("user alice", output);
        Assert.Contains("user www-data", output);
        Golden("peer", output);
    }

    [Fact]
    public void Who_lists_client_then_server_like_the_table()
    {
        var text = new StringWriter { NewLine = "\n" };
        var report = SocketQueries.WhoByName(Snapshot, HandBuiltSnapshot.LongPath, [System.Text.Encoding.UTF8.GetBytes(HandBuiltSnapshot.LongPath)]);
        new HumanRenderer(text, new Terminal(false), new TableOptions()).WriteWho(Snapshot, report, fileDeleted: false);
        string output = text.ToString();
        var connection = Assert.Single(Lines(output), l => l.Contains("<->", StringComparison.Ordinal));
        Assert.True(connection.IndexOf("curl[8001]", StringComparison.Ordinal) < connection.IndexOf("nginx[7767]", StringComparison.Ordinal), connection);
        Golden("who", output);
    }

    [Fact]
    public void No_holder_reads_the_same_in_the_table_and_in_peer()
    {
        var hidden = HandBuiltSnapshot.Build(processesNotInspected: 3);
        Assert.Contains("(holder not visible) #1080", List(new TableOptions(), inventory: hidden));
        var text = new StringWriter { NewLine = "\n" };
        new HumanRenderer(text, new Terminal(false), new TableOptions()).WritePeer(hidden, SocketQueries.Peer(hidden, hidden.Find(1080)!));
        Assert.Contains("(holder not visible)", text.ToString());
        Assert.DoesNotContain("held by no process", text.ToString());
    }

    [Fact]
    public void An_end_loses_letters_of_its_command_before_its_pid_fd_or_inode()
    {
        Assert.Equal("dbus-d\u2026[9000]:11 #1060", SocketTable.ShortenEnd("dbus-daemon[9000]:11 #1060", 22));
        // Too short to keep the pid whole: the middle goes, and both ends stay.
        Assert.Equal("nginx[7760]:6\u2026 #1001", SocketTable.ShortenEnd("nginx[7760]:6 +8 in 9 procs #1001", 20));
        Assert.Equal("ng\u2026[7760]:6\u2026 #1001", SocketTable.ShortenEnd("nginx[7760]:6 +8 in 9 procs #1001", 18));
        Assert.Equal("/run/a\u2026.sock", SocketTable.Shorten("/run/a/very/long/path.sock", 12));
        Assert.Equal("/run\u2026th.sock", SocketTable.ShortenName("/run/a/very/long/path.sock", 12));
        Assert.Equal("abc", SocketTable.Shorten("abc", 3));
        Assert.Equal("logger[8003]{\u2026}:5 #1022", SocketTable.ShortenEnd("logger[8003]{docker:web-frontend-canary}:5 #1022", 23));
        // An end with no holder gives up its words, never its inode; the floor keeps pid, fd and inode.
        Assert.Equal("(holder\u2026) #1168", SocketTable.ShortenEnd("(holder not visible) #1168", 15));
        Assert.Equal(9, SocketTable.EssentialWidth("(holder not visible) #1168"));
        Assert.Equal("d\u2026[9000]:11 #1060", SocketTable.ShortenEnd("dbus-daemon[9000]:11 #1060", SocketTable.EssentialWidth("dbus-daemon[9000]:11 #1060")));
        Assert.Equal("\u2026[7760]:6\u2026 #1001", SocketTable.ShortenEnd("nginx[7760]:6 +8 in 9 procs #1001", SocketTable.EssentialWidth("nginx[7760]:6 +8 in 9 procs #1001")));
    }
}
