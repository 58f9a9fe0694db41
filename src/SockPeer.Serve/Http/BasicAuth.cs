using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SockPeer.Serve.Http;

/// <summary>
/// HTTP basic authentication against the web config's bcrypt hashes, as exporter-toolkit does it.
/// bcrypt is slow on purpose (tens of milliseconds per check), so a verified (user, password) pair
/// is remembered by its SHA-256 for the life of the process; a wrong password is checked every time.
/// </summary>
internal sealed class BasicAuth(IReadOnlyDictionary<string, string> users)
{
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);

    public bool Enabled => users.Count > 0;

    public bool IsAllowed(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 4096)
        {
            return false;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !users.TryGetValue(decoded[..colon], out var hash))
        {
            return false;
        }
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(decoded)));
        if (_verified.ContainsKey(key))
        {
            return true;
        }
        bool ok;
        try
        {
            ok = BCrypt.Net.BCrypt.Verify(decoded[(colon + 1)..], hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            ok = false;
        }
        if (ok)
        {
            _verified.TryAdd(key, true);
        }
        return ok;
    }
}
