using SockPeer.Inventory;
using SockPeer.Views;
using Xunit;

namespace SockPeer.Tests.Views;

/// <summary>A warning is printed only when it can change what the command shows.</summary>
public class RelevantWarningsTests
{
    private static SocketInventory WithWarnings(params InventoryWarning[] warnings)
    {
        var plain = HandBuiltSnapshot.Build();
        return new SocketInventory(plain.Sockets, plain.Processes, warnings, peersKnown: true);
    }

    private static readonly InventoryWarning Denied = new(WarningCode.ProcessesDenied, "2 of 90 processes could not be inspected") { Count = 2, Pids = [8001] };
    private static readonly InventoryWarning NotEntered = new(WarningCode.NamespacesNotEntered, "3 network namespaces could not be entered") { Count = 3 };
    private static readonly InventoryWarning Partial = new(WarningCode.PendingPartial, "1 listener has more pending clients than listed") { Count = 1 };

    [Fact]
    public void A_whole_list_keeps_every_warning()
    {
        var inventory = WithWarnings(Denied, NotEntered, Partial);
        Assert.Equal(3, RelevantWarnings.For(inventory, inventory.Sockets, completeList: true).Count);
    }

    [Fact]
    public void An_answer_about_a_pair_with_visible_holders_needs_none_of_them()
    {
        var inventory = WithWarnings(Denied, NotEntered, Partial);
        Assert.Empty(RelevantWarnings.For(inventory, [inventory.Find(1004)!, inventory.Find(1005)!], completeList: false));
    }

    [Fact]
    public void A_socket_without_a_visible_holder_keeps_the_denied_warning_and_a_listener_the_pending_one()
    {
        var inventory = WithWarnings(Denied, NotEntered, Partial);
        Assert.Equal([WarningCode.ProcessesDenied], RelevantWarnings.For(inventory, [inventory.Find(1080)!], completeList: false).Select(w => w.Code));
        Assert.Equal([WarningCode.PendingPartial], RelevantWarnings.For(inventory, [inventory.Find(1060)!], completeList: false).Select(w => w.Code));
    }

    [Fact]
    public void A_warning_that_names_a_shown_pid_is_kept()
    {
        var inventory = WithWarnings(Denied);
        // 1003 is held by curl[8001], which the warning names.
        Assert.Single(RelevantWarnings.For(inventory, [inventory.Find(1003)!], completeList: false));
    }
}
