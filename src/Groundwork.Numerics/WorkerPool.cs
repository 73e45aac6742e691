using System.Diagnostics;

namespace Groundwork.Numerics;

/// <summary>Work that splits into numbered parts.</summary>
internal interface IRangeJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    void Run(int part, int parts);
}

/// <summary>
/// A persistent pool of worker threads for short data-parallel jobs. The caller and the workers claim parts from a
/// shared counter, so a worker that wakes late (or never gets a core) only means the caller does more parts itself;
/// the caller waits only for parts already being run. Workers spin briefly after each job (the next matvec of the same
/// token starts in well under a microsecond), then block. One job at a time: a caller that finds the pool busy runs
/// its job alone.
/// </summary>
internal sealed class WorkerPool
{
    private static readonly Lock s_createGate = new();
    private static WorkerPool? s_pool;

    /// <summary>How long an idle worker spins before blocking.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private readonly object _sleep = new();
    private readonly Lock _busy = new();
    private readonly int _workers;
    private IRangeJob? _job;
    private long _generation;
    private long _claim;      // (generation << 32) | (parts << 16) | next unclaimed part: one word, so it is never read torn
    private int _remaining;   // parts of the current generation not yet finished
    private int _sleepers;
    private Exception? _error;

    private WorkerPool(int workers)
    {
        _workers = workers;
        for (var i = 0; i < workers; i++)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"Groundwork.Numerics worker {i + 1}" };
            t.Start();
        }
    }

    /// <summary>Runs <paramref name="job"/> as <paramref name="parts"/> parts on up to <paramref name="threads"/> threads (the caller included).</summary>
    public static void Run(IRangeJob job, int parts, int threads)
    {
        parts = Math.Min(parts, 0xffff);
        if (parts <= 1 || threads <= 1)
        {
            for (var p = 0; p < parts; p++) job.Run(p, parts);
            return;
        }
        var pool = Get(threads - 1);
        if (!pool._busy.TryEnter())
        {
            for (var p = 0; p < parts; p++) job.Run(p, parts);
            return;
        }
        try
        {
            pool.Dispatch(job, parts);
        }
        finally
        {
            pool._busy.Exit();
        }
    }

    private static WorkerPool Get(int workers)
    {
        var pool = s_pool;
        if (pool is not null && pool._workers >= workers) return pool;
        lock (s_createGate)
        {
            // Grow only: the workers of a replaced smaller pool block after spinning and cost nothing.
            if (s_pool is null || s_pool._workers < workers) s_pool = new WorkerPool(workers);
            return s_pool;
        }
    }

    private void Dispatch(IRangeJob job, int parts)
    {
        _job = job;
        _error = null;
        var gen = _generation + 1;
        Volatile.Write(ref _remaining, parts);
        Volatile.Write(ref _claim, (gen << 32) | ((long)parts << 16));
        Interlocked.Exchange(ref _generation, gen); // full fence: job, parts and claim are visible before the new generation
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleep) Monitor.PulseAll(_sleep);
        }
        RunParts(job, gen);
        var spin = new SpinWait();
        while (Volatile.Read(ref _remaining) > 0) spin.SpinOnce(-1);
        _job = null;
        if (_error is { } e) throw new AggregateException("a matrix product worker failed", e);
    }

    /// <summary>Claims and runs parts of generation <paramref name="gen"/> until none are left.</summary>
    private void RunParts(IRangeJob job, long gen)
    {
        while (true)
        {
            var c = Volatile.Read(ref _claim);
            if (c >> 32 != gen) return;
            var parts = (int)((c >> 16) & 0xffff);
            var part = (int)(c & 0xffff);
            if (part >= parts) return;
            if (Interlocked.CompareExchange(ref _claim, c + 1, c) != c) continue;
            try
            {
                job.Run(part, parts);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _error = e;
            }
            finally
            {
                Interlocked.Decrement(ref _remaining);
            }
        }
    }

    private void WorkerLoop()
    {
        var seen = Interlocked.Read(ref _generation);
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            var spin = 0;
            while (Interlocked.Read(ref _generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - start < s_spinTicks)
                {
                    Thread.SpinWait(spin < 6 ? 1 << spin++ : 64);
                    continue;
                }
                lock (_sleep)
                {
                    Interlocked.Increment(ref _sleepers); // full fence before re-reading the generation (pairs with Dispatch)
                    while (Interlocked.Read(ref _generation) == seen) Monitor.Wait(_sleep);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            seen = Interlocked.Read(ref _generation);
            // The job was written before the generation. A stale read is harmless: a generation's job is replaced only
            // after all its parts were claimed, and the claim word carries its generation and part count.
            var job = _job;
            if (job is not null) RunParts(job, seen);
        }
    }
}
