using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// Runs the published sockpeer for one scenario and checks each document against the schema.
/// `list` is limited with --pid to the scenario's process: the filter keeps every socket held by
/// that pid or whose other end (peer, or the listener a client waits on) it holds, so forked children's
/// ends stay in, while the document stays small enough to validate on a machine with tens of
/// thousands of other sockets.
/// </summary>
internal static class ScenarioCli
{
    public static JsonElement List(Scenario scenario)
    {
        var result = SockpeerCli.Run("list", "--pid", scenario.Int("pid").ToString(), "--json");
        Assert.True(result.ExitCode == 0, $"sockpeer list exited {result.ExitCode}: {result.Stderr}");
        Assert.DoesNotContain("   at ", result.Stderr);
        SchemaAssert.Valid(result.Stdout, "list");
        return result.Json();
    }

    public static JsonElement Who(string path)
    {
        var result = SockpeerCli.Run("who", path, "--json");
        Assert.True(result.ExitCode == 0, $"sockpeer who exited {result.ExitCode}: {result.Stderr}");
        Assert.DoesNotContain("   at ", result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        return result.Json();
    }

    public static uint[] InodesOf(this JsonElement sockets) => sockets.EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()).ToArray();

    public static string? Str(this JsonElement e, string name) => e.GetProperty(name).GetString();

    public static bool Bool(this JsonElement e, string name) => e.GetProperty(name).GetBoolean();

    public static uint[] InodeArray(this Scenario scenario, string name) => scenario.Info.GetProperty(name).EnumerateArray().Select(x => x.GetUInt32()).ToArray();
}
