using SockPeer.Model;

namespace SockPeer.Joining;

/// <summary>
/// Gives containers their names. The cgroup gives a runtime and an id; Docker keeps the name on disk
/// (<see cref="Inventory.DockerNames"/>), other runtimes' ids stay ids. Each id is looked up once per
/// call; the lookup is a parameter so the pass runs without a Docker host.
/// </summary>
internal static class ContainerNaming
{
    /// <summary>The processes, with Docker container names filled in where <paramref name="findDockerName"/> knows them.</summary>
    public static ProcessInfo[] Name(IEnumerable<ProcessInfo> processes, Func<string, string?> findDockerName)
    {
        var names = new Dictionary<string, string?>();
        var result = new List<ProcessInfo>();
        foreach (var p in processes)
        {
            if (p.Container is { Runtime: "docker", Id: { } id, Name: null } c)
            {
                if (!names.TryGetValue(id, out string? name))
                {
                    names[id] = name = findDockerName(id);
                }
                result.Add(name is null ? p : p with { Container = c with { Name = name } });
            }
            else
            {
                result.Add(p);
            }
        }
        return [.. result];
    }
}
