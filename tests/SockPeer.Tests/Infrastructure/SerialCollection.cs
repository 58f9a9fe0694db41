namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// Tests whose answer depends on the whole machine's state (which sockets nobody holds, which
/// queues hold descriptors) run alone, after the parallel ones, so other tests' scenarios cannot
/// change that state under them.
/// </summary>
[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "machine-wide state";
}
