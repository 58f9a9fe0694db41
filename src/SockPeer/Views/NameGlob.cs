using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// A shell-style pattern on socket names: '*' (any run, '/' included), '?' (one character),
/// '[abc]', '[a-z]', '[!x]', '\' to quote. A pattern without '/' also matches the last path
/// component, so `app.sock` finds `/run/app/app.sock` (and `@dbus*` an abstract name).
/// </summary>
public sealed class NameGlob
{
    private readonly string _pattern;
    private readonly string? _resolvedPattern;
    private readonly bool _lastComponent;

    private NameGlob(string pattern)
    {
        _pattern = pattern;
        _lastComponent = !pattern.Contains('/', StringComparison.Ordinal);
        string literal = pattern.StartsWith('/') ? pattern[..LiteralLength(pattern)] : "";
        _resolvedPattern = ThroughResolvedDirectory(pattern, literal);
        AnchoredPrefix = _resolvedPattern is null ? literal : literal[..literal.AsSpan().CommonPrefixLength(_resolvedPattern.AsSpan(0, LiteralLength(_resolvedPattern)))];
    }

    /// <summary>
    /// The pattern with its literal directory written as it resolves now, when a symlink on the way makes
    /// it another path (`/var/run/docker.sock` → `/run/docker.sock` on most distributions): a socket bound
    /// under the resolved directory is the one the operator named. Null when the same or not a directory
    /// here. (A name bound through a symlink is matched the other way, by its resolved path.)
    /// </summary>
    private static string? ThroughResolvedDirectory(string pattern, string literal)
    {
        int slash = literal.LastIndexOf('/');
        if (slash <= 0)
        {
            return null;
        }
        string directory = literal[..slash];
        byte[]? resolved = Interop.ProcFs.ResolveDirectory(Interop.ProcFs.Zero(directory));
        if (resolved is null)
        {
            return null;
        }
        string text = System.Text.Encoding.UTF8.GetString(resolved);
        return text == directory || text.AsSpan().IndexOfAny("*?[\\") >= 0 ? null : text + pattern[slash..]; // a resolved name with glob characters is not made a pattern
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern => _pattern;

    /// <summary>
    /// The text every display name this pattern matches begins with: the pattern's literal start up
    /// to its first '*', '?', '[' or '\'; empty when the pattern does not fix one (a pattern without
    /// a leading '/' also matches a last path component, so it fixes no start). For a pattern through a
    /// symlinked directory, what it and its resolved form have in common.
    /// </summary>
    public string AnchoredPrefix { get; }

    /// <summary>Checks the pattern: an unclosed '[' or a trailing '\' is an error, not a literal that silently matches nothing.</summary>
    public static bool TryParse(string pattern, out NameGlob? glob, out string? error)
    {
        glob = null;
        error = Validate(pattern);
        if (error is not null)
        {
            return false;
        }
        glob = new NameGlob(pattern);
        return true;
    }

    /// <summary>As <see cref="TryParse"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static NameGlob Parse(string pattern)
        => TryParse(pattern, out var glob, out string? error) ? glob! : throw new FormatException(error);

    /// <summary>Whether a display name matches (null never does).</summary>
    public bool Matches(string? name) => name is not null && Matches(name.AsSpan());

    /// <summary>
    /// Whether a socket's name, as raw bytes, matches its display text. A plain name's text is its bytes,
    /// so it is matched from the stack: a recorder or watcher with --path asks this for every event.
    /// </summary>
    internal bool Matches(ReadOnlySpan<byte> nameBytes)
    {
        if (!SocketName.IsPlain(nameBytes) || nameBytes.Length > 1024)
        {
            return Matches(SocketName.Display(nameBytes).AsSpan());
        }
        Span<char> text = stackalloc char[nameBytes.Length];
        System.Text.Encoding.ASCII.GetChars(nameBytes, text);
        return Matches((ReadOnlySpan<char>)text);
    }

    private bool Matches(ReadOnlySpan<char> name)
    {
        if (Match(_pattern, name) || (_resolvedPattern is not null && Match(_resolvedPattern, name)))
        {
            return true;
        }
        if (_lastComponent)
        {
            int slash = name.LastIndexOf('/');
            return slash >= 0 && Match(_pattern, name[(slash + 1)..]);
        }
        return false;
    }

    private static int LiteralLength(string p)
    {
        int n = p.AsSpan().IndexOfAny("*?[\\");
        return n < 0 ? p.Length : n;
    }

    private static string? Validate(string p)
    {
        if (p.Length == 0)
        {
            return "an empty pattern matches no name";
        }
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == '\\')
            {
                if (i + 1 == p.Length)
                {
                    return $"pattern '{p}' ends with a lone '\\'";
                }
                i++;
            }
            else if (p[i] == '[')
            {
                int j = i + 1;
                if (j < p.Length && (p[j] == '!' || p[j] == '^'))
                {
                    j++;
                }
                if (j < p.Length && p[j] == ']')
                {
                    j++; // a ']' first in a class is literal
                }
                while (j < p.Length && p[j] != ']')
                {
                    j++;
                }
                if (j >= p.Length)
                {
                    return $"pattern '{p}' has a '[' without its ']'";
                }
                i = j;
            }
        }
        return null;
    }

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> t)
    {
        int pi = 0, ti = 0, starP = -1, starT = -1;
        while (ti < t.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starP = pi++;
                starT = ti;
                continue;
            }
            if (pi < p.Length && MatchOne(p, pi, t[ti], out int next))
            {
                pi = next;
                ti++;
                continue;
            }
            if (starP >= 0)
            {
                pi = starP + 1;
                ti = ++starT;
                continue;
            }
            return false;
        }
        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }
        return pi == p.Length;
    }

    // The pattern was validated: every '[' has its ']', every '\' a next character.
    private static bool MatchOne(ReadOnlySpan<char> p, int pi, char c, out int next)
    {
        next = pi + 1;
        char pc = p[pi];
        if (pc == '?')
        {
            return true;
        }
        if (pc == '\\')
        {
            next = pi + 2;
            return p[pi + 1] == c;
        }
        if (pc != '[')
        {
            return pc == c;
        }
        int i = pi + 1;
        bool negate = p[i] == '!' || p[i] == '^';
        if (negate)
        {
            i++;
        }
        bool matched = false;
        bool first = true;
        while (p[i] != ']' || first)
        {
            first = false;
            if (i + 2 < p.Length && p[i + 1] == '-' && p[i + 2] != ']')
            {
                matched |= c >= p[i] && c <= p[i + 2];
                i += 3;
            }
            else
            {
                matched |= c == p[i];
                i++;
            }
        }
        next = i + 1;
        return matched != negate;
    }
}
