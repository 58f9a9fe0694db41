namespace SockPeer.Cli;

/// <summary>Exit codes of every command.</summary>
internal enum ReturnCode
{
    Ok = 0,
    /// <summary>Not found, or a failure.</summary>
    Failure = 1,
    /// <summary>Bad command line.</summary>
    Usage = 2,
}

/// <summary>A failure the user should read as one line: "sockpeer: message".</summary>
internal sealed class CliException(string message, ReturnCode code = ReturnCode.Failure) : Exception(message)
{
    public ReturnCode Code { get; } = code;
}
