using System.Text.Json;

namespace SockPeer.Tests.Infrastructure;

/// <summary>Looks things up in sockpeer's JSON documents.</summary>
public static class JsonQueries
{
    public static JsonElement Socket(this JsonElement list, uint inode)
    {
        foreach (var s in list.GetProperty("sockets").EnumerateArray())
        {
            if (s.GetProperty("inode").GetUInt32() == inode)
            {
                return s;
            }
        }
        throw new Xunit.Sdk.XunitException($"socket {inode} is not in the list");
    }

    public static uint? NullableUInt(this JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Null ? null : v.GetUInt32();
    }

    public static HashSet<(int Pid, int Fd)> Holders(this JsonElement socket)
        => socket.GetProperty("holders").EnumerateArray().Select(h => (h.GetProperty("pid").GetInt32(), h.GetProperty("fd").GetInt32())).ToHashSet();

    public static uint[] Inodes(this JsonElement e, string name)
        => e.GetProperty(name).EnumerateArray().Select(x => x.GetUInt32()).ToArray();

    /// <summary>The inodes of an array of socket objects.</summary>
    public static uint[] InodesOf(this JsonElement sockets) => sockets.EnumerateArray().Select(s => s.GetProperty("inode").GetUInt32()).ToArray();

    public static string? Str(this JsonElement e, string name) => e.GetProperty(name).GetString();

    public static bool Bool(this JsonElement e, string name) => e.GetProperty(name).GetBoolean();
}
