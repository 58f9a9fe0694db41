using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;
using SockPeer.Views;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// What `list` shows: the sockets the filter selected, as themselves and as rows. The rows are made
/// when a renderer asks for them: JSON writes the sockets and never needs them (on 40,000 sockets
/// they are 4 MiB live while the document is written).
/// </summary>
internal sealed class ListAnswer(SocketInventory inventory, IReadOnlyList<UnixSocket> sockets)
{
    /// <summary>The sockets the filter selected, ordered by inode.</summary>
    public IReadOnlyList<UnixSocket> Sockets => sockets;

    /// <summary>The rows of the table: each connection once (<see cref="SocketViews.Rows"/>).</summary>
    public IReadOnlyList<SocketView> Rows() => SocketViews.Rows(inventory, sockets).ToList();
}

/// <summary>
/// One output format (`--format human|json`). Commands work out the answer with the engine
/// (<see cref="SocketViews"/>, <see cref="SocketQueries"/>); a renderer only formats it.
/// </summary>
internal interface IRenderer
{
    void WriteList(SocketInventory inventory, ListAnswer answer);

    void WriteSummary(SocketInventory inventory, SocketSummary summary);

    void WritePeer(SocketInventory inventory, PeerReport report);

    /// <summary><paramref name="fileDeleted"/>: the path no longer exists; the report's listeners were found by their recorded name.</summary>
    void WriteWho(SocketInventory inventory, WhoReport report, bool fileDeleted);
}

/// <summary>Schema-1 JSON (docs/schema.md); warnings go inside the document.</summary>
internal sealed class JsonRenderer(Stream output) : IRenderer
{
    public void WriteList(SocketInventory inventory, ListAnswer answer)
    {
        var processes = answer.Sockets.Count == inventory.Sockets.Count ? inventory.Processes : inventory.ProcessesOf(answer.Sockets);
        Json.SchemaJsonWriter.WriteList(output, inventory, answer.Sockets, processes);
    }

    public void WriteSummary(SocketInventory inventory, SocketSummary summary) => Json.SchemaJsonWriter.WriteSummary(output, inventory, summary);

    public void WritePeer(SocketInventory inventory, PeerReport report) => Json.SchemaJsonWriter.WritePeer(output, inventory, report);

    public void WriteWho(SocketInventory inventory, WhoReport report, bool fileDeleted) => Json.SchemaJsonWriter.WriteWho(output, inventory, report);
}
