using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer --version`: "sockpeer 0.9.0 (commit 1a2b3c4)". The version comes from one place
/// (Directory.Build.props), the commit from the build's source control (SourceRevisionId).
/// </summary>
internal sealed class VersionText : SynchronousCommandLineAction
{
    public static string Version
    {
        get
        {
            string informational = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }
    }

    public static string? Commit
    {
        get
        {
            string informational = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
            int plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? null : informational[(plus + 1)..];
        }
    }

    public static string Line => Commit is { Length: > 0 } c ? $"sockpeer {Version} (commit {c[..Math.Min(12, c.Length)]})" : $"sockpeer {Version}";

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Line);
        return (int)ReturnCode.Ok;
    }

    /// <summary>Makes the root's --version print <see cref="Line"/>.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Action = new VersionText();
        }
    }
}
