using Xunit;
using System.IO.Compression;
using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Packaging;

/// <summary>The packages scripts/package builds install and run: the .deb into a scratch root, the .NET tool from a folder feed.</summary>
public sealed class PackageTests
{
    [Fact]
    public void Deb_unpacks_into_a_scratch_root_and_its_binary_runs()
    {
        string version = PackagingSupport.Version;
        string deb = PackagingSupport.Require($"sockpeer_{version}_amd64.deb");
        var info = PackagingSupport.Run("dpkg-deb", "--field", deb, "Package", "Version", "Architecture", "Depends");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("Package: sockpeer", info.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Version: {version}", info.Stdout, StringComparison.Ordinal);
        Assert.Contains("Architecture: amd64", info.Stdout, StringComparison.Ordinal);

        string root = PackagingSupport.TempDir("sockpeer-deb-root");
        try
        {
            var x = PackagingSupport.Run("dpkg", "-x", deb, root);
            Assert.True(x.ExitCode == 0, x.Stderr);
            string bin = Path.Combine(root, "usr", "bin", "sockpeer");
            var v = PackagingSupport.Run(bin, "--version");
            Assert.Equal(0, v.ExitCode);
            Assert.StartsWith($"sockpeer {version} (commit ", v.Stdout, StringComparison.Ordinal);
            var list = PackagingSupport.Run(bin, "list", "--json", "--netns", "current");
            Assert.True(list.ExitCode == 0, list.Stderr);
            SockPeer.Tests.Json.SchemaAssert.Valid(list.Stdout, "list");
            foreach (var file in new[]
            {
                "usr/share/man/man1/sockpeer.1.gz",
                "usr/share/bash-completion/completions/sockpeer",
                "usr/share/zsh/vendor-completions/_sockpeer",
                "usr/share/fish/vendor_completions.d/sockpeer.fish",
                "usr/share/doc/sockpeer/copyright",
                "usr/share/doc/sockpeer/changelog.gz",
            })
            {
                Assert.True(File.Exists(Path.Combine(root, file)), $"{file} is not in the .deb");
            }
            using var man = new GZipStream(File.OpenRead(Path.Combine(root, "usr/share/man/man1/sockpeer.1.gz")), CompressionMode.Decompress);
            using var reader = new StreamReader(man);
            Assert.Contains($"sockpeer {version}", reader.ReadToEnd(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Dotnet_tool_installs_from_a_folder_feed_and_runs()
    {
        string version = PackagingSupport.Version;
        PackagingSupport.Require($"sockpeer.{version}.nupkg");
        PackagingSupport.Require($"sockpeer.linux-x64.{version}.nupkg");
        string toolPath = PackagingSupport.TempDir("sockpeer-tool");
        try
        {
            var install = PackagingSupport.Run("dotnet", "tool", "install", "sockpeer", "--tool-path", toolPath,
                "--add-source", PackagingSupport.Packages, "--version", version);
            Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);
            string bin = Path.Combine(toolPath, "sockpeer");
            var v = PackagingSupport.Run(bin, "--version");
            Assert.StartsWith($"sockpeer {version}", v.Stdout, StringComparison.Ordinal);
            var peer = PackagingSupport.Run(bin, "peer", "0");
            Assert.Equal(2, peer.ExitCode); // a usage error, on one line, from the installed NativeAOT binary
            Assert.StartsWith("sockpeer: ", peer.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(toolPath, recursive: true);
        }
    }

    [Fact]
    public void Engine_package_carries_the_library_its_docs_readme_and_commit()
    {
        string version = PackagingSupport.Version;
        using var zip = ZipFile.OpenRead(PackagingSupport.Require($"SockPeer.Engine.{version}.nupkg"));
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/SockPeer.Engine.dll", names);
        Assert.Contains("lib/net10.0/SockPeer.Engine.xml", names);
        Assert.Contains("README.md", names);
        using var nuspec = new StreamReader(zip.GetEntry("SockPeer.Engine.nuspec")!.Open());
        string text = nuspec.ReadToEnd();
        Assert.Contains($"<version>{version}</version>", text, StringComparison.Ordinal);
        Assert.Matches(@"<repository [^>]*commit=""[0-9a-f]{40}""", text);
    }
}
