using SockPeer.Inventory;

// Who talks to a socket file: `WhoTalksTo /run/docker.sock` prints each client process once.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: WhoTalksTo SOCKET-PATH");
    return 2;
}
var snapshot = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();
var listeners = snapshot.Sockets.Where(s => s.State == SockPeer.Model.UnixSocketState.Listening && s.Name == args[0])
    .Select(s => s.Inode).ToHashSet();
var clients = new SortedSet<string>(StringComparer.Ordinal);
foreach (var accepted in snapshot.Sockets.Where(s => s.Listener is uint l && listeners.Contains(l)))
{
    if (accepted.Peer is uint p and not 0 && snapshot.Find(p) is { } client)
    {
        foreach (var holder in client.Holders)
        {
            clients.Add($"{snapshot.FindProcess(holder.Pid)?.Command ?? "?"}[{holder.Pid}]");
        }
    }
}
foreach (var c in clients)
{
    Console.WriteLine(c);
}
foreach (var w in snapshot.WarningDetails)
{
    Console.Error.WriteLine($"warning ({w.Code}): {w.Message}");
}
return listeners.Count == 0 ? 1 : 0;
