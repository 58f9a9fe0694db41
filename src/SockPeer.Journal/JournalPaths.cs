namespace SockPeer.Journal;

/// <summary>Where the journal lives when <c>--db</c> is not given.</summary>
internal static partial class JournalPaths
{
    /// <summary><c>/var/lib/sockpeer/journal.db</c> as root, else <c>$XDG_STATE_HOME/sockpeer/journal.db</c> (<c>~/.local/state</c>).</summary>
    public static string Default()
    {
        if (GetEuid() == 0)
        {
            return "/var/lib/sockpeer/journal.db";
        }
        string? state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state) || !Path.IsPathRooted(state))
        {
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }
        return Path.Combine(state, "sockpeer", "journal.db");
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
