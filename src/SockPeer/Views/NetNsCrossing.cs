using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// Whether a connection joins two network namespaces (a client in `ip netns exec X` or a container
/// that reached a host socket through a shared path), the one rule for it: `who` marks such a client,
/// the graph draws and groups such edges apart. Each end is placed by its holders' process
/// namespaces, else by its socket's; the server side is placed by the socket the client reached (the
/// listener: an accepted socket lives in the client's namespace, so it would never differ).
/// </summary>
public static class NetNsCrossing
{
    /// <summary>
    /// Whether the client end <paramref name="client"/> (held by <paramref name="clientHolders"/>) and the
    /// server side (the socket it reached, <paramref name="reached"/>, held by <paramref name="serverHolders"/>)
    /// are in different network namespaces. Unknown namespaces never cross.
    /// </summary>
    public static bool Crosses(SocketInventory inventory, UnixSocket client, IEnumerable<SocketHolder> clientHolders, UnixSocket reached, IEnumerable<SocketHolder> serverHolders)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reached);
        var serverSide = NetNsOf(inventory, reached, serverHolders).ToList();
        foreach (var c in NetNsOf(inventory, client, clientHolders))
        {
            foreach (var s in serverSide)
            {
                if (c != s)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Whether the connection whose server end is <paramref name="server"/> (an accepted socket, or a
    /// datagram server) and whose client end is <paramref name="client"/> crosses namespaces.
    /// </summary>
    public static bool Crosses(SocketInventory inventory, UnixSocket server, UnixSocket? client)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (client is null)
        {
            return false;
        }
        var reached = server.Role == SocketRole.Server ? SocketViews.Listener(inventory, server) ?? server : server;
        return Crosses(inventory, client, client.Holders, reached, server.Holders);
    }

    private static IEnumerable<ulong> NetNsOf(SocketInventory inventory, UnixSocket socket, IEnumerable<SocketHolder> holders)
    {
        bool any = false;
        foreach (var h in holders)
        {
            if (inventory.FindProcess(h.Pid)?.NetNs is ulong ns)
            {
                any = true;
                yield return ns;
            }
        }
        if (!any && socket.NetNs is ulong own)
        {
            yield return own;
        }
    }
}
