namespace SockPeer.Proc;

/// <summary>
/// A loop over processes (or their sockets) that goes wide only when there are enough of them. An idle
/// host's 60–300 processes are read in about a millisecond on one thread; Parallel.For there started
/// four pool threads and spun them (135 sched_yield calls per `list`), which cost more than it saved.
/// </summary>
internal static class ProcLoop
{
    /// <summary>Below this many items, or with one degree of parallelism, the loop runs on the calling thread.</summary>
    internal const int InlineBelow = 256;

    /// <summary>
    /// <see cref="Parallel.For{TLocal}(int, int, ParallelOptions, Func{TLocal}, Func{int, ParallelLoopState, TLocal, TLocal}, Action{TLocal})"/>
    /// over [0, <paramref name="count"/>), or the same calls in order on this thread for few items.
    /// </summary>
    public static void For<TLocal>(int count, ParallelOptions options, Func<TLocal> init, Func<int, TLocal, TLocal> body, Action<TLocal> done)
    {
        if (count < InlineBelow || options.MaxDegreeOfParallelism == 1)
        {
            var local = init();
            for (int i = 0; i < count; i++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                local = body(i, local);
            }
            done(local);
            return;
        }
        Parallel.For(0, count, options, init, (i, _, local) => body(i, local), done);
    }
}
