// A copy of src/SockPeer.Cli/Rendering/Glob.cs until list's filter moves into the engine (see ListFilter).
namespace SockPeer.Serve.Filters;

/// <summary>Shell-style patterns: '*' (any run, '/' included), '?' (one character), '[abc]', '[a-z]', '[!x]'.</summary>
internal static class Glob
{
    public static bool IsMatch(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan());

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
            if (pi < p.Length && MatchOne(p, ref pi, t[ti], out int next))
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

    private static bool MatchOne(ReadOnlySpan<char> p, ref int pi, char c, out int next)
    {
        next = pi + 1;
        char pc = p[pi];
        if (pc == '?')
        {
            return true;
        }
        if (pc == '\\' && pi + 1 < p.Length)
        {
            next = pi + 2;
            return p[pi + 1] == c;
        }
        if (pc != '[')
        {
            return pc == c;
        }
        int close = p[(pi + 1)..].IndexOf(']');
        if (close <= 0 && !(close == 0 && p[(pi + 2)..].Contains(']')))
        {
            return pc == c; // an unclosed '[' is literal
        }
        int i = pi + 1;
        bool negate = i < p.Length && (p[i] == '!' || p[i] == '^');
        if (negate)
        {
            i++;
        }
        bool matched = false;
        bool first = true;
        while (i < p.Length && (p[i] != ']' || first))
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
