using System.Text.Json;

namespace SockPeer.Inventory;

/// <summary>Docker's on-disk container metadata: /var/lib/docker/containers/ID/config.v2.json holds "Name": "/web".</summary>
internal static class DockerNames
{
    private const string Root = "/var/lib/docker/containers";

    public static string? Find(string shortId)
    {
        try
        {
            if (!Directory.Exists(Root))
            {
                return null;
            }
            foreach (var dir in Directory.EnumerateDirectories(Root, shortId + "*"))
            {
                string config = Path.Combine(dir, "config.v2.json");
                if (!File.Exists(config))
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
                if (doc.RootElement.TryGetProperty("Name", out var name) && name.GetString() is { Length: > 0 } n)
                {
                    return n.TrimStart('/');
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
        }
        return null;
    }
}
