namespace SockPeer.Tests.Infrastructure;

/// <summary>
/// Tests whose answer depends on the whole machine's state (every thread's network namespace, which
/// the namespace tests change as they run) run alone, after the parallel ones, so other tests cannot
/// change that state under them. Prefer a namespace of the test's own (NsScripts.StartInOwnNetNs) where it will do.
/// </summary>
[Xunit.CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "machine-wide state";
}
