using SockPeer.Proc;
using Xunit;

namespace SockPeer.Tests.Views;

/// <summary>Daemons that rewrite argv in place leave empty arguments and trailing spaces: trimmed as ps does.</summary>
public class ArgvTrimTests
{
    [Fact]
    public void Trailing_empty_arguments_and_spaces_are_dropped()
    {
        string[] nginx = ["nginx: worker process          ", "", "", "", ""];
        Assert.Equal(["nginx: worker process"], ProcParsers.TrimArgv(nginx));
        Assert.Equal(["redis-server *:6379"], ProcParsers.TrimArgv(["redis-server *:6379", "   ", ""]));
    }

    [Fact]
    public void Arguments_in_the_middle_are_kept()
    {
        string[] args = ["sh", "", "-c", "echo  "];
        Assert.Equal(["sh", "", "-c", "echo"], ProcParsers.TrimArgv(args));
        Assert.Equal(["sh", "", "-c", "echo  "], args); // the input is not changed
        string[] clean = ["sleep", "1"];
        Assert.Same(clean, ProcParsers.TrimArgv(clean));
        Assert.Empty(ProcParsers.TrimArgv(["", ""]));
    }
}
