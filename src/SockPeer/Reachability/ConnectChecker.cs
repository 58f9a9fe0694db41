using SockPeer.Interop;
using SockPeer.Model;

namespace SockPeer.Reachability;

/// <summary>
/// The entry points of <c>sockpeer check</c>: who the client is, what it sees (<see cref="ClientView"/>,
/// gathered once), and the real connect of <c>--try</c>. The verdict itself is <see cref="ConnectRules.Decide"/>.
/// </summary>
public static class ConnectChecker
{
    /// <summary>A user by name or uid, with its groups from the user database; null when the name is unknown.</summary>
    public static ClientCredentials? User(string user) => Credentials.ForUser(user);

    /// <summary>The credentials of process <paramref name="pid"/> (filesystem uid and gid, groups); null when it cannot be read.</summary>
    public static ClientCredentials? OfProcess(int pid) => Credentials.OfProcess(pid);

    /// <summary>This process's credentials.</summary>
    public static ClientCredentials Current() => Credentials.OfProcess(Environment.ProcessId) ?? new ClientCredentials(0, 0, []);

    /// <summary>
    /// What a client with <paramref name="client"/>'s credentials and a <paramref name="type"/> socket sees of
    /// <paramref name="target"/> (a path, or <c>@name</c>), from process <paramref name="fromPid"/>'s
    /// mount namespace, root and network namespace, or from this process's.
    /// </summary>
    public static ClientView See(string target, UnixSocketType type, ClientCredentials client, int? fromPid)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(client);
        return ClientViewReader.Read(target, type, client, fromPid);
    }

    /// <summary>
    /// Makes the connect for real on a dedicated thread that takes the client's namespaces, root and
    /// credentials, and closes it at once. Needs root for another user or process; meant for a child
    /// process (<c>check --try</c> runs one), since it makes a connection to the server.
    /// </summary>
    public static ConnectTrialResult Try(string target, UnixSocketType type, ClientCredentials client, int? fromPid)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(client);
        return ConnectTrialRunner.Run(target, type, client, fromPid);
    }
}
