using SockPeer.Inventory;

namespace SockPeer.Cli.Commands;

/// <summary>One place that turns failures into "sockpeer: ..." and an exit code, never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(Func<ReturnCode> action)
    {
        try
        {
            return (int)action();
        }
        catch (CliException e)
        {
            return Fail(e.Message, e.Code);
        }
        catch (IOException e) when (IsBrokenPipe(e))
        {
            return (int)ReturnCode.Ok; // the reader went away (| head): stop quietly
        }
        catch (InventoryException e) // also the engine's netlink failures, which the reader wraps
        {
            return Fail(e.Message, ReturnCode.Failure);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Fail(e.Message, ReturnCode.Failure);
        }
    }

    public static int Fail(string message, ReturnCode code)
    {
        try
        {
            Output.Error($"sockpeer: {System.Text.RegularExpressions.Regex.Replace(message, @"\s+", " ")}");
        }
        catch (IOException)
        {
        }
        return (int)code;
    }

    private static bool IsBrokenPipe(IOException e)
        => e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase) || e.InnerException is IOException { HResult: 32 };
}
