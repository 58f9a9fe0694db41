using Xunit;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Packaging;

/// <summary>Where scripts/package put the packages, and the version they must carry.</summary>
internal static class PackagingSupport
{
    public static string Packages => Path.Combine(SockpeerCli.RepoRoot, "artifacts", "packages");

    /// <summary>The one version, as Directory.Build.props sets it.</summary>
    public static string Version
    {
        get
        {
            string props = File.ReadAllText(Path.Combine(SockpeerCli.RepoRoot, "Directory.Build.props"));
            var m = System.Text.RegularExpressions.Regex.Match(props, "<VersionPrefix>([^<]+)</VersionPrefix>");
            Assert.True(m.Success, "Directory.Build.props sets no VersionPrefix");
            return m.Groups[1].Value;
        }
    }

    /// <summary>A package scripts/package must have built; a missing one fails the test, never skips it.</summary>
    public static string Require(string fileName)
    {
        string path = Path.Combine(Packages, fileName);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/package first (scripts/test does)");
        return path;
    }

    public static CliResult Run(string file, params string[] args) => ChildProcess.Run(file, args, TimeSpan.FromMinutes(5));

    public static string TempDir(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
