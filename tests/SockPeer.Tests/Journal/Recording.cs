using System.Diagnostics;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>A running `sockpeer record`, started when it says it records; stopped with SIGTERM or killed.</summary>
internal sealed class Recording : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _rest;

    public Recording(string db, params string[] args)
    {
        var info = new ProcessStartInfo(SockpeerCli.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["record", "--db", db, .. args])
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
        _process.StandardInput.Close();
        _ = _process.StandardOutput.ReadToEndAsync();
        // Warnings (a previous recorder's gap) come before the line that says it records.
        string? line;
        while ((line = _process.StandardError.ReadLine()) is not null && line.StartsWith("sockpeer: warning:", StringComparison.Ordinal))
        {
            Warnings.Add(line);
        }
        First = line ?? "";
        _rest = _process.StandardError.ReadToEndAsync();
        Assert.True(First.Contains("recording", StringComparison.Ordinal), $"record did not start: {First}");
    }

    public string First { get; }

    public List<string> Warnings { get; } = [];

    public int Pid => _process.Id;

    /// <summary>SIGTERM; returns the exit code and what it said after starting.</summary>
    public (int Code, string Stderr) Stop()
    {
        Signal("TERM");
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(20)), "record did not stop on SIGTERM");
        return (_process.ExitCode, _rest.Result);
    }

    public void KillHard()
    {
        Signal("KILL");
        _process.WaitForExit(TimeSpan.FromSeconds(20));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Signal(string name)
    {
        var r = ChildProcess.Run("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        Assert.Equal(0, r.ExitCode);
    }
}
