using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

/// <summary>
/// A running `sockpeer watch`: its stdout lines as they come, read until an expected event or a
/// generous deadline (never a fixed sleep). With --json every line is checked against the
/// watchEvent definition of the JSON Schema as it is read.
/// </summary>
internal sealed class WatchStream : IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly List<string> _seen = [];
    private readonly Task<string> _stderr;
    private readonly bool _json;

    public WatchStream(params string[] args)
    {
        _json = args.Contains("--json");
        // Through env(1), which resets every signal to its default and execs sockpeer (same pid): a test
        // host started in the background by a non-interactive shell ignores SIGINT, children inherit that,
        // and a process started with SIGINT ignored keeps it ignored (so `kill -INT` tested nothing here).
        var info = new ProcessStartInfo("/usr/bin/env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--default-signal");
        info.ArgumentList.Add(SockpeerCli.Path);
        info.ArgumentList.Add("watch");
        if (!args.Contains("--source"))
        {
            // The polling tests pin the source: where eBPF loads, 'auto' would pick it.
            info.ArgumentList.Add("--source");
            info.ArgumentList.Add("poll");
        }
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start sockpeer");
        _process.StandardInput.Close();
        _ = Task.Run(() =>
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                _lines.Add(line);
            }
            _lines.CompleteAdding();
        });
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    /// <summary>Every line read so far.</summary>
    public IReadOnlyList<string> Seen => _seen;

    /// <summary>The events read so far (JSON mode), warnings included.</summary>
    public IEnumerable<JsonElement> Events => _seen.Select(Parse);

    /// <summary>The next line, or null at end of output or after <paramref name="timeout"/>.</summary>
    public string? NextLine(TimeSpan timeout)
    {
        if (!_lines.TryTake(out string? line, timeout))
        {
            return null;
        }
        if (_json)
        {
            SchemaAssert.Valid(line, "watchEvent");
        }
        _seen.Add(line);
        return line;
    }

    /// <summary>Reads events until one matches; fails with everything read when the deadline passes first.</summary>
    public JsonElement WaitFor(string what, Func<JsonElement, bool> match)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Deadline)
        {
            if (NextLine(Deadline - deadline.Elapsed) is not { } line)
            {
                break;
            }
            var e = Parse(line);
            if (match(e))
            {
                return e;
            }
        }
        Assert.Fail($"no {what} within {Deadline.TotalSeconds:F0} s; the watch printed:\n{string.Join('\n', _seen)}\nstderr: {(_process.HasExited ? _stderr.Result : "(running)")}");
        return default;
    }

    /// <summary>Reads until the watcher exits; returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (NextLine(timeout - clock.Elapsed > TimeSpan.Zero ? timeout - clock.Elapsed : TimeSpan.Zero) is not null)
        {
        }
        Assert.True(_process.WaitForExit(timeout - clock.Elapsed > TimeSpan.Zero ? timeout - clock.Elapsed : TimeSpan.FromMilliseconds(1)),
            $"sockpeer watch still running after {timeout.TotalSeconds:F0} s; printed:\n{string.Join('\n', _seen)}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Stderr => _stderr.Result;

    public void Signal(string signal)
    {
        var r = ChildProcess.Run("kill", ["-" + signal, _process.Id.ToString()], TimeSpan.FromSeconds(10));
        Assert.Equal(0, r.ExitCode);
    }

    private static JsonElement Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }
}

/// <summary>Reading watch events.</summary>
internal static class WatchEvent
{
    public static string Kind(this JsonElement e) => e.GetProperty("event").GetString()!;

    public static bool Is(this JsonElement e, string kind, string role, uint inode)
        => e.Kind() == kind && e.GetProperty(role).ValueKind == JsonValueKind.Object && e.GetProperty(role).GetProperty("inode").GetUInt32() == inode;

    public static uint Inode(this JsonElement e, string role) => e.GetProperty(role).GetProperty("inode").GetUInt32();

    public static bool HeldBy(this JsonElement e, string role, int pid, int fd)
        => e.GetProperty(role).GetProperty("holders").EnumerateArray().Any(h => h.GetProperty("pid").GetInt32() == pid && h.GetProperty("fd").GetInt32() == fd);
}
