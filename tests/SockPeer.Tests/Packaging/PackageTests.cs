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

    /// <summary>
    /// The unit of `sockpeer serve` sits at Debian's unit path, runs the server the package installs,
    /// and systemd accepts it: `systemd-analyze verify` on the unpacked root (which also checks that
    /// ExecStart's binary exists there). The deploy/ files for Prometheus and Grafana come along, and
    /// the README names the unit the package has.
    /// </summary>
    [Theory]
    [InlineData("sockpeer-serve.service", "/usr/bin/sockpeer-serve")]
    [InlineData("sockpeer-record.service", "/usr/bin/sockpeer")]
    public void Deb_installs_the_units_systemd_verifies_and_the_prometheus_grafana_and_collector_files(string unitName, string binary)
    {
        string deb = PackagingSupport.Require($"sockpeer_{PackagingSupport.Version}_amd64.deb");
        string root = PackagingSupport.TempDir("sockpeer-deb-unit");
        try
        {
            var x = PackagingSupport.Run("dpkg", "-x", deb, root);
            Assert.True(x.ExitCode == 0, x.Stderr);
            string unitDir = Path.Combine(root, "usr", "lib", "systemd", "system");
            string unit = Path.Combine(unitDir, unitName);
            Assert.True(File.Exists(unit), $"usr/lib/systemd/system/{unitName} is not in the .deb");
            string[] execStart = File.ReadAllLines(unit).Where(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)).ToArray();
            Assert.Single(execStart);
            string program = execStart[0]["ExecStart=".Length..].Split(' ')[0];
            Assert.Equal(binary, program);
            Assert.True(File.Exists(Path.Combine(root, program.TrimStart('/'))), $"the unit runs {program}, which the .deb does not install");

            // A scratch root has no targets: lend it the host's (sysinit.target, multi-user.target, the
            // slices) so that verify resolves the unit's dependencies, as on an installed system.
            foreach (string file in Directory.GetFiles("/usr/lib/systemd/system", "*.target").Concat(Directory.GetFiles("/usr/lib/systemd/system", "*.slice")))
            {
                string to = Path.Combine(unitDir, Path.GetFileName(file));
                if (!File.Exists(to))
                {
                    File.Copy(file, to);
                }
            }
            // verify exits 0 on a setting it ignores (a typo, an unknown value) and only says so: any output fails.
            var verify = PackagingSupport.Run("systemd-analyze", "verify", "--man=no", $"--root={root}", unitName);
            Assert.True(verify.ExitCode == 0 && verify.Stderr.Trim().Length == 0 && verify.Stdout.Trim().Length == 0,
                $"systemd-analyze verify: exit {verify.ExitCode}: {verify.Stdout}{verify.Stderr}");

            foreach (var (packaged, source) in new[]
            {
                ("usr/share/sockpeer/prometheus/sockpeer.rules.yml", "deploy/prometheus/sockpeer.rules.yml"),
                ("usr/share/sockpeer/prometheus/scrape.yml", "deploy/prometheus/scrape.yml"),
                ("usr/share/sockpeer/grafana/sockpeer-dashboard.json", "deploy/grafana/sockpeer-dashboard.json"),
                ("usr/share/sockpeer/otel-collector/sockpeer-events.yaml", "deploy/otel-collector/sockpeer-events.yaml"),
                ($"usr/lib/systemd/system/{unitName}", $"deploy/systemd/{unitName}"),
            })
            {
                string path = Path.Combine(root, packaged);
                Assert.True(File.Exists(path), $"{packaged} is not in the .deb");
                Assert.Equal(File.ReadAllText(Path.Combine(SockpeerCli.RepoRoot, source)), File.ReadAllText(path));
            }
            string readme = File.ReadAllText(Path.Combine(SockpeerCli.RepoRoot, "README.md"));
            Assert.Contains($"`{unitName}`", readme, StringComparison.Ordinal);
            Assert.Contains("/usr/share/sockpeer/", readme, StringComparison.Ordinal);
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
