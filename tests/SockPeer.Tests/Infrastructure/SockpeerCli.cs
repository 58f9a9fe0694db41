using System.Diagnostics;
using System.Text.Json;

namespace SockPeer.Tests.Infrastructure;

/// <summary>What one run of the published sockpeer printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout as a schema-1 document: fails unless it is valid against docs/sockpeer.schema.json.</summary>
    public JsonElement Json()
    {
        SockPeer.Tests.Json.SchemaAssert.ValidDocument(Stdout);
        using var doc = JsonDocument.Parse(Stdout);
        return doc.RootElement.Clone();
    }
}

/// <summary>
/// The one helper for command-line tests. Runs the NativeAOT executable: $SOCKPEER_BIN, or
/// artifacts/sockpeer/sockpeer under the repository (published once on first use when missing); only
/// the published binary proves AOT works. Every document it returns is checked against
/// docs/sockpeer.schema.json (<see cref="SockPeer.Tests.Json.SchemaAssert"/>).
/// </summary>
public static class SockpeerCli
{
    private static readonly Lazy<string> Binary = new(FindOrPublish, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Binary.Value;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "SockPeer.slnx")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static CliResult Run(params string[] args) => RunWith(null, args);

    public static CliResult RunWith(IDictionary<string, string>? environment, params string[] args)
    {
        return ChildProcess.Run(Path, args, TimeSpan.FromSeconds(120), info =>
        {
            if (environment is not null)
            {
                foreach (var (k, v) in environment)
                {
                    info.Environment[k] = v;
                }
            }
        });
    }

    /// <summary>Runs with --json, asserts exit 0 and no stack trace, and returns the document.</summary>
    public static JsonElement Json(params string[] args)
    {
        var result = Run([.. args, "--json"]);
        Xunit.Assert.DoesNotContain("   at ", result.Stderr);
        // `list` exits 1 when its filters matched nothing, and `who` when nothing is bound to the name;
        // both still write their (empty) document.
        bool emptyList = result.ExitCode == 1 && result.Stdout.Length > 0 && result.Json() is { } doc
            && ((doc.TryGetProperty("sockets", out var sockets) && sockets.GetArrayLength() == 0)
                || (doc.TryGetProperty("listeners", out var listeners) && listeners.GetArrayLength() == 0));
        Xunit.Assert.True(result.ExitCode == 0 || emptyList, $"sockpeer {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result.Json();
    }

    /// <summary>
    /// `list --pid PID --json`, which must exit 0 with a valid list document. The filter keeps every
    /// socket held by that pid or whose other end (peer, or the listener a client waits on) it holds, so
    /// a scenario's forked children stay in, while the document stays small enough to validate on a
    /// machine with tens of thousands of other sockets.
    /// </summary>
    public static JsonElement ListOf(int pid) => Document("list", "list", "--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>`who PATH --json`, which must exit 0 (something is bound there) with a valid who document.</summary>
    public static JsonElement Who(string path) => Document("who", "who", path);

    /// <summary>Runs with --json; exit 0, no stack trace, and a document valid as the schema's <paramref name="definition"/>.</summary>
    public static JsonElement Document(string definition, params string[] args)
    {
        var result = Run([.. args, "--json"]);
        Xunit.Assert.True(result.ExitCode == 0, $"sockpeer {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        Xunit.Assert.DoesNotContain("   at ", result.Stderr);
        SockPeer.Tests.Json.SchemaAssert.Valid(result.Stdout, definition);
        return result.Json();
    }

    /// <summary>
    /// Runs <paramref name="script"/> with bash; the published binary is "$1" and a scratch
    /// directory is "$2". Stdin is closed, as for <see cref="Run"/>.
    /// </summary>
    public static CliResult Bash(string script, IDictionary<string, string>? environment = null)
    {
        string scratch = Directory.CreateTempSubdirectory("sockpeer-cli-").FullName;
        try
        {
            return ChildProcess.Run("bash", ["-c", script, "bash", Path, scratch], TimeSpan.FromSeconds(180), info =>
            {
                if (environment is not null)
                {
                    foreach (var (k, v) in environment)
                    {
                        info.Environment[k] = v;
                    }
                }
            });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The contract for bad input: exit <paramref name="code"/>, nothing on stdout, and exactly one
    /// line on stderr that starts with "sockpeer:" and is not a stack trace.
    /// </summary>
    public static void AssertOneErrorLine(CliResult r, int code, string what)
    {
        string context = $"{what}: exit {r.ExitCode}, stdout [{r.Stdout}], stderr [{r.Stderr}]";
        Xunit.Assert.True(r.ExitCode == code, $"expected exit {code}; {context}");
        Xunit.Assert.True(r.Stdout.Length == 0, $"expected empty stdout; {context}");
        Xunit.Assert.True(r.Stderr.EndsWith('\n'), $"expected a complete line on stderr; {context}");
        string line = r.Stderr[..^1];
        Xunit.Assert.True(!line.Contains('\n'), $"expected exactly one line on stderr; {context}");
        Xunit.Assert.True(line.StartsWith("sockpeer: ", StringComparison.Ordinal), $"expected 'sockpeer: ' first; {context}");
        Xunit.Assert.True(line.Length > "sockpeer: ".Length + 5, $"expected a message; {context}");
        Xunit.Assert.True(!line.Contains("   at ", StringComparison.Ordinal), $"stack frame on stderr; {context}");
        Xunit.Assert.True(!line.Contains("Exception", StringComparison.Ordinal), $"exception name on stderr; {context}");
        Xunit.Assert.True(!line.Contains("System.", StringComparison.Ordinal), $".NET type name on stderr; {context}");
    }

    /// <summary>
    /// Runs sockpeer with its stdout a pipe whose reading end is already closed, so that its first write
    /// fails (EPIPE) whatever the timing: as `sockpeer ... | true` when `true` wins the race. Stdout of the
    /// result is empty; the exit code and stderr are sockpeer's.
    /// </summary>
    public static CliResult RunIntoClosedPipe(params string[] args)
    {
        const string Launcher = """
            import os, subprocess, sys
            r, w = os.pipe()
            os.close(r)
            p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            sys.stdout.write(str(p.returncode) + "\n")
            sys.stdout.flush()
            sys.stdout.buffer.write(p.stderr)
            """;
        var r = ChildProcess.Run("python3", ["-c", Launcher, Path, .. args], TimeSpan.FromSeconds(120));
        Xunit.Assert.True(r.ExitCode == 0, $"closed-pipe launcher failed: {r.Stderr}");
        int newline = r.Stdout.IndexOf('\n');
        return new CliResult(int.Parse(r.Stdout[..newline]), "", r.Stdout[(newline + 1)..]);
    }

    private static string FindOrPublish()
    {
        string? env = Environment.GetEnvironmentVariable("SOCKPEER_BIN");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }
        string root = RepoRoot;
        string bin = System.IO.Path.Combine(root, "artifacts", "sockpeer", "sockpeer");
        if (!File.Exists(bin))
        {
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = root };
            foreach (var a in new[] { "publish", "src/SockPeer.Cli", "-c", "Release", "-o", "artifacts/sockpeer" })
            {
                info.ArgumentList.Add(a);
            }
            using var p = Process.Start(info)!;
            p.WaitForExit();
            if (p.ExitCode != 0 || !File.Exists(bin))
            {
                throw new InvalidOperationException("dotnet publish of sockpeer failed");
            }
        }
        return bin;
    }
}
