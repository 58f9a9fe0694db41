using System.Text;

namespace SockPeer.Proc;

/// <summary>
/// The container (or service) a process runs in, as its cgroup path tells. Public as part of the
/// model (<see cref="Model.ProcessInfo.Container"/>); it lives here, beside its (internal) parser.
/// </summary>
/// <param name="Runtime">docker, kubernetes, containerd, cri-o, podman, lxc or systemd.</param>
/// <param name="Id">Short container id (12 hex digits), or null.</param>
/// <param name="Name">Container, pod or unit name where one can be found, or null.</param>
public sealed record ContainerInfo(string Runtime, string? Id, string? Name);

/// <summary>
/// Reads /proc/PID/cgroup ("hierarchy-ID:controllers:path" per line; cgroup v2 is "0::path") and
/// recognises the path layouts container runtimes and systemd use, e.g.
/// <code>
/// 0::/system.slice/docker-&lt;64 hex&gt;.scope                     docker (systemd driver)
/// 12:memory:/docker/&lt;64 hex&gt;                                 docker (cgroupfs driver)
/// 0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod&lt;uid&gt;.slice/cri-containerd-&lt;64 hex&gt;.scope
/// 0::/kubepods/besteffort/pod&lt;uid&gt;/&lt;64 hex&gt;
/// 0::/machine.slice/libpod-&lt;64 hex&gt;.scope                    podman
/// 12:memory:/libpod_parent/libpod-&lt;64 hex&gt;                    podman (cgroupfs)
/// 0::/system.slice/nerdctl-&lt;64 hex&gt;.scope, 0::/default/&lt;64 hex&gt;  containerd (nerdctl, ctr)
/// 0::/lxc.payload.web/init.scope                                lxc
/// 0::/system.slice/nginx.service                                systemd unit
/// </code>
/// </summary>
internal static class CgroupParser
{
    /// <summary>Parses the whole file; null when the process is in no container or unit.</summary>
    public static ContainerInfo? Parse(ReadOnlySpan<byte> file)
    {
        ContainerInfo? unit = null;
        foreach (var line in new LineEnumerator(file))
        {
            int c1 = line.IndexOf((byte)':');
            if (c1 < 0)
            {
                continue;
            }
            var rest = line[(c1 + 1)..];
            int c2 = rest.IndexOf((byte)':');
            if (c2 < 0)
            {
                continue;
            }
            var info = ParsePath(Encoding.UTF8.GetString(rest[(c2 + 1)..]));
            if (info is null)
            {
                continue;
            }
            if (info.Runtime != "systemd")
            {
                return info;
            }
            unit ??= info;
        }
        return unit;
    }

    /// <summary>Recognises one cgroup path.</summary>
    public static ContainerInfo? ParsePath(string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string? podUid = null;
        bool kube = false;
        foreach (var p in parts)
        {
            if (p.StartsWith("kubepods", StringComparison.Ordinal) || p.StartsWith("kubelet-kubepods", StringComparison.Ordinal))
            {
                kube = true;
                int pod = p.LastIndexOf("-pod", StringComparison.Ordinal);
                if (pod >= 0 && p.EndsWith(".slice", StringComparison.Ordinal))
                {
                    podUid = p[(pod + 4)..^6].Replace('_', '-');
                }
            }
            else if (kube && p.StartsWith("pod", StringComparison.Ordinal))
            {
                podUid = p[3..];
            }
        }
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            string p = parts[i];
            string? id;
            if ((id = ScopeId(p, "docker-")) is not null)
            {
                return kube ? Kube(id, podUid) : new ContainerInfo("docker", id, null);
            }
            if ((id = ScopeId(p, "cri-containerd-") ?? ScopeId(p, "nerdctl-")) is not null)
            {
                return kube ? Kube(id, podUid) : new ContainerInfo("containerd", id, null);
            }
            if ((id = ScopeId(p, "crio-") ?? PrefixedId(p, "crio-")) is not null && !p.StartsWith("crio-conmon-", StringComparison.Ordinal))
            {
                return kube ? Kube(id, podUid) : new ContainerInfo("cri-o", id, null);
            }
            if ((id = ScopeId(p, "libpod-") ?? PrefixedId(p, "libpod-")) is not null && !p.StartsWith("libpod-conmon-", StringComparison.Ordinal))
            {
                return new ContainerInfo("podman", id, null);
            }
            if (IsHexId(p))
            {
                if (kube)
                {
                    return Kube(p[..12], podUid);
                }
                if (i > 0 && parts[i - 1] == "docker")
                {
                    return new ContainerInfo("docker", p[..12], null);
                }
                if (i > 0 && parts[i - 1] == "libpod_parent")
                {
                    return new ContainerInfo("podman", p[..12], null);
                }
                if (i == 1 && parts[0] == "default")
                {
                    return new ContainerInfo("containerd", p[..12], null); // containerd's own /NAMESPACE/ID
                }
            }
            if (p.StartsWith("lxc.payload.", StringComparison.Ordinal) && p.Length > 12)
            {
                return new ContainerInfo("lxc", null, p[12..]);
            }
            if (i > 0 && parts[i - 1] == "lxc" && p.Length > 0)
            {
                return new ContainerInfo("lxc", null, p);
            }
        }
        if (kube && podUid is not null)
        {
            return new ContainerInfo("kubernetes", null, "pod " + podUid);
        }
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i].EndsWith(".service", StringComparison.Ordinal))
            {
                return new ContainerInfo("systemd", null, parts[i]);
            }
        }
        return null;
    }

    private static ContainerInfo Kube(string id, string? podUid) => new("kubernetes", id, podUid is null ? null : "pod " + podUid);

    private static string? ScopeId(string part, string prefix)
    {
        if (!part.StartsWith(prefix, StringComparison.Ordinal) || !part.EndsWith(".scope", StringComparison.Ordinal))
        {
            return null;
        }
        string id = part[prefix.Length..^6];
        return IsHexId(id) ? id[..12] : null;
    }

    /// <summary>cgroupfs names: PREFIX-ID without a .scope suffix (CRI-O's crio-ID, podman's /libpod_parent/libpod-ID).</summary>
    private static string? PrefixedId(string part, string prefix)
        => part.StartsWith(prefix, StringComparison.Ordinal) && IsHexId(part[prefix.Length..]) ? part.Substring(prefix.Length, 12) : null;

    private static bool IsHexId(string s)
    {
        if (s.Length != 64)
        {
            return false;
        }
        foreach (char c in s)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }
        return true;
    }
}
