using Microsoft.Data.Sqlite;

namespace SockPeer.Journal;

/// <summary>
/// The tables of the journal (docs/journal.md says what each column means) and the path from any
/// older version to <see cref="Version"/>: <see cref="Steps"/>[i] takes a database from version i to
/// i + 1, in one transaction, and <c>schema_version</c> records where it stands. A database newer than
/// this build is refused rather than written.
/// </summary>
internal static class JournalSchema
{
    /// <summary>The version this build writes.</summary>
    public const int Version = 2;

    private static readonly string[] Steps =
    [
        // 0 -> 1
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version (version) VALUES (0);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            pid INTEGER NOT NULL,
            source TEXT NOT NULL,
            started_ns INTEGER NOT NULL,
            last_commit_ns INTEGER NOT NULL,
            stopped_ns INTEGER,
            clean INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            time_ns INTEGER NOT NULL,
            kind TEXT NOT NULL,
            path TEXT,
            client_pid INTEGER, client_fd INTEGER, client_inode INTEGER, client_command TEXT, client_uid INTEGER,
            client_user TEXT, client_container TEXT,
            server_pid INTEGER, server_fd INTEGER, server_inode INTEGER, server_command TEXT, server_uid INTEGER,
            netns INTEGER,
            duration_ns INTEGER,
            source TEXT NOT NULL,
            session INTEGER REFERENCES sessions(id),
            json TEXT NOT NULL
        );
        CREATE INDEX events_time ON events (time_ns);
        CREATE INDEX events_path_time ON events (path, time_ns);
        CREATE INDEX events_warning_time ON events (time_ns) WHERE kind = 'warning';
        """,
        // 1 -> 2: no table changes. From version 2 on, `json` holds the compact line (fields that are
        // null, false or an empty list left out), which `history` writes out in full; a version-1 line
        // is full already and reads the same. An older sockpeer refuses a version-2 journal rather than
        // print compact lines as watch lines.
        "SELECT 1;",
    ];

    /// <summary>The version a database is at: 0 for an empty one.</summary>
    public static int VersionOf(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
        if (Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }
        cmd.CommandText = "SELECT max(version) FROM schema_version";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Brings the database to <see cref="Version"/>; a newer one is a <see cref="JournalException"/>.</summary>
    public static void Migrate(SqliteConnection c, string path)
    {
        int at = VersionOf(c);
        if (at > Version)
        {
            throw new JournalException($"{path} has journal schema {at}, newer than this sockpeer's {Version}: use a newer sockpeer, or another --db");
        }
        for (; at < Version; at++)
        {
            using var tx = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Steps[at] + $"\nUPDATE schema_version SET version = {at + 1};";
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }
}

/// <summary>A journal that cannot be opened, locked or written: its message is the one line the user sees.</summary>
public sealed class JournalException : Exception
{
    /// <summary>With a message.</summary>
    public JournalException(string message) : base(message)
    {
    }

    /// <summary>With a message and its cause.</summary>
    public JournalException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Without a message.</summary>
    public JournalException()
    {
    }
}
