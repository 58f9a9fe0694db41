using System.Text.Json;
using SockPeer.Inventory;

namespace SockPeer.Tests.Robustness;

/// <summary>
/// The test assembly's entry point (GenerateProgramFile is off): `dotnet exec SockPeer.Tests.dll
/// inventory PROCROOT` takes one library snapshot with that ProcRoot and prints a compact JSON
/// summary. Tests run it in another process when they need other credentials or another mount
/// namespace than the test host's (an unprivileged user reading a procfs mounted with hidepid).
/// The test runner never calls this.
/// </summary>
public static class InventoryProbe
{
    public static int Main(string[] args)
    {
        if (args.Length != 2 || args[0] != "inventory")
        {
            Console.Error.WriteLine("usage: SockPeer.Tests.dll inventory PROCROOT");
            return 2;
        }
        var inventory = new SocketInventoryReader(new InventoryOptions { ProcRoot = args[1] }).Read();
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout);
        w.WriteStartObject();
        w.WriteBoolean("privileged", Environment.IsPrivilegedProcess);
        w.WriteNumber("processesNotInspected", inventory.ProcessesNotInspected);
        w.WriteStartArray("warnings");
        foreach (var warning in inventory.Warnings)
        {
            w.WriteStringValue(warning);
        }
        w.WriteEndArray();
        w.WriteStartArray("processes");
        foreach (var p in inventory.Processes)
        {
            w.WriteNumberValue(p.Pid);
        }
        w.WriteEndArray();
        w.WriteStartArray("sockets");
        foreach (var s in inventory.Sockets)
        {
            w.WriteStartObject();
            w.WriteNumber("inode", s.Inode);
            w.WriteBoolean("inFlight", s.InFlight);
            w.WriteStartArray("holders");
            foreach (var h in s.Holders)
            {
                w.WriteNumberValue(h.Pid);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return 0;
    }
}
