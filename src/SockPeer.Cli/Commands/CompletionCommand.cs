using System.CommandLine;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer completion bash|zsh|fish`: prints the shell's completion script. The scripts (kept in
/// packaging/completions, embedded here) ask sockpeer itself through System.CommandLine's
/// [suggest] directive, so they list the commands, options and values of the running version.
/// </summary>
internal static class CompletionCommand
{
    public static Command Build()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print the shell completion script for bash, zsh or fish")
        {
            shell,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string name = parse.GetValue(shell)!;
            using Stream script = typeof(CompletionCommand).Assembly.GetManifestResourceStream($"completions.sockpeer.{name}")
                ?? throw new CliException($"no completion script for {name} in this build");
            using var stdout = Output.OpenStdout();
            script.CopyTo(stdout);
            return ReturnCode.Ok;
        }));
        return command;
    }
}
