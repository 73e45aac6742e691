using System.Collections.Concurrent;

namespace Groundwork.Retrieval.Vectors;

/// <summary>Approximate nearest-neighbour index: a hierarchical navigable small world graph (Malkov and Yashunin)
/// with float32, float16 or int8 traversal, tombstone deletes, filtered search and a memory-mapped file format.</summary>
/// <remarks>
/// Concurrency: searches run concurrently with each other; <see cref="Add"/>, <see cref="AddRange"/>,
/// <see cref="Remove"/> and <see cref="Compact"/> take an exclusive lock (AddRange links in parallel inside it).
/// Persistence model: <see cref="OpenAsync"/> maps the file copy-on-write, so links, codes and vectors are served
/// from the page cache; later inserts go to in-memory delta storage (and edits to mapped links stay private to the
/// process) until <see cref="SaveAsync"/> writes base and delta into a new file that atomically replaces the old one.
/// Deletes leave tombstones; past <see cref="CompactionThreshold"/> the next save compacts (see <see cref="SaveAsync"/>).
/// </remarks>
public sealed class HnswIndex : IVectorIndex
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly ConcurrentBag<SearchScratch> _scratch = [];
    private HnswGraph _graph;
    private bool _disposed;
    private long _evaluations;

    /// <summary>Creates an empty in-memory index.</summary>
    /// <param name="dimension">Number of dimensions of every vector.</param>
    /// <param name="options">Graph parameters; defaults when null.</param>
    public HnswIndex(int dimension, HnswOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        options ??= new HnswOptions();
        options.Validate();
        _graph = new HnswGraph(dimension, options);
    }

    private HnswIndex(HnswGraph graph) => _graph = graph;

    private double _compactionThreshold = -1;

    /// <summary>
    /// Tombstone fraction above which <see cref="SaveAsync"/> compacts first (see <see cref="HnswOptions.CompactionThreshold"/>).
    /// Starts at the options' value; an opened index starts at the default (0.2), since the file does not record it.
    /// </summary>
    public double CompactionThreshold
    {
        get => _compactionThreshold > 0 ? _compactionThreshold : _graph.Options.CompactionThreshold;
        set
        {
            if (!(value > 0)) throw new ArgumentOutOfRangeException(nameof(value), value, "CompactionThreshold must be positive (1 or more disables compaction).");
            _compactionThreshold = value;
        }
    }

    /// <summary>Opens an index saved by <see cref="SaveAsync"/>, memory-mapping its links and vectors.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupt (the message names the file and the problem).</exception>
    public static Task<HnswIndex> OpenAsync(string path, CancellationToken ct) =>
        Task.Run(() => new HnswIndex(HnswFile.Open(path, ct)), ct);

    /// <inheritdoc />
    public int Dimension => _graph.Dim;

    /// <inheritdoc />
    public int Count => _graph.LiveCount;

    /// <summary>The options the index was built with.</summary>
    public HnswOptions Options => _graph.Options;

    /// <summary>Nodes in the graph including tombstones (removed vectors kept for navigation until <see cref="Compact"/>).</summary>
    public int NodeCount => _graph.NodeCount;

    /// <summary>Approximate resident bytes per node that searches touch: links, traversal code, id and flags.</summary>
    public double TraversalBytesPerVector => _graph.TraversalBytesPerNode;

    /// <summary>Distance evaluations made by searches since the index was created or opened (a cost measure that
    /// does not depend on the machine; the benchmark reports it per query).</summary>
    public long SearchDistanceEvaluations => Interlocked.Read(ref _evaluations);

    /// <inheritdoc />
    public void Add(long id, ReadOnlySpan<float> vector)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            int node = _graph.Stage(id, vector);
            _graph.LinkRange(node, node + 1, 1);
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Adds many vectors (row-major, <see cref="Dimension"/> floats each), linking them in parallel.</summary>
    /// <param name="ids">One id per vector.</param>
    /// <param name="vectors">ids.Length x Dimension floats.</param>
    /// <param name="maxDegreeOfParallelism">Threads used for linking; 0 means all processors.</param>
    public void AddRange(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors, int maxDegreeOfParallelism = 0)
    {
        if (vectors.Length != (long)ids.Length * Dimension)
            throw new ArgumentException($"AddRange: {ids.Length} ids need {ids.Length * (long)Dimension} floats, got {vectors.Length}.", nameof(vectors));
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            var g = _graph;
            g.EnsureCapacity(g.NodeCount + ids.Length);
            int first = g.NodeCount;
            try
            {
                for (int i = 0; i < ids.Length; i++) g.Stage(ids[i], vectors.Slice(i * Dimension, Dimension));
            }
            finally
            {
                // A bad vector stops staging; the ones staged before it are still linked, so the graph stays whole.
                g.LinkRange(first, g.NodeCount, maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism);
            }
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <inheritdoc />
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            return _graph.Remove(id);
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>True when a live vector has this id.</summary>
    public bool Contains(long id)
    {
        _lock.EnterReadLock();
        try { return _graph.Contains(id); }
        finally { _lock.ExitReadLock(); }
    }

    /// <inheritdoc />
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, Func<long, bool>? filter = null, int? efSearch = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            var g = _graph;
            if (!_scratch.TryTake(out var s) || s.Query.Length != g.Dim) s = g.NewScratch();
            try
            {
                int ef = Math.Max(k, efSearch ?? g.Options.EfSearch);
                int found = g.Search(query, ef, filter, s);
                int n = Math.Min(k, found);
                var hits = new VectorHit[n];
                for (int i = 0; i < n; i++) hits[i] = new VectorHit(g.IdOf(s.SortNodes[i]), -s.SortKeys[i]);
                return hits;
            }
            finally
            {
                Interlocked.Add(ref _evaluations, s.Evaluations);
                s.Evaluations = 0;
                _scratch.Add(s);
            }
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Rebuilds the graph from the live vectors only, dropping tombstones (and any mapping).</summary>
    /// <param name="maxDegreeOfParallelism">Threads used for linking; 0 means all processors.</param>
    public void Compact(int maxDegreeOfParallelism = 0)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            var old = _graph;
            _graph = Compacted(old, maxDegreeOfParallelism);
            old.Dispose();
        }
        finally { _lock.ExitWriteLock(); }
    }

    private static unsafe HnswGraph Compacted(HnswGraph old, int maxDegreeOfParallelism)
    {
        var fresh = new HnswGraph(old.Dim, old.Options, old.LiveCount);
        try
        {
            fresh.EnsureCapacity(old.LiveCount);
            for (int i = 0; i < old.NodeCount; i++)
            {
                if (old.Deleted[i] != 0) continue;
                fresh.Stage(old.Ids[i], new ReadOnlySpan<float>(old.Vectors[i], old.Dim));
            }
            fresh.LinkRange(0, fresh.NodeCount, maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism);
            return fresh;
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the index to <paramref name="path"/> atomically (temporary file, flush, rename). When tombstones exceed
    /// <see cref="CompactionThreshold"/> of the nodes, the graph is first rebuilt from the live vectors beside the
    /// current one (searches go on meanwhile; writes wait), the rebuilt graph is written, and only once its file is in
    /// place does it replace the current graph: a failure at any point leaves the old graph in use and the old file intact.
    /// </summary>
    public Task SaveAsync(string path, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Task.Run(() =>
        {
            _lock.EnterUpgradeableReadLock();
            try
            {
                ThrowIfDisposed();
                var old = _graph;
                if (!NeedsCompaction(old))
                {
                    HnswFile.Save(old, path, ct);
                    return;
                }
                var fresh = Compacted(old, 0);
                try { HnswFile.Save(fresh, path, ct); }
                catch
                {
                    fresh.Dispose();
                    throw;
                }
                _lock.EnterWriteLock(); // waits for searches still on the old graph
                try
                {
                    _graph = fresh;
                    old.Dispose();
                }
                finally { _lock.ExitWriteLock(); }
            }
            finally { _lock.ExitUpgradeableReadLock(); }
        }, ct);
    }

    private bool NeedsCompaction(HnswGraph g)
    {
        double threshold = CompactionThreshold;
        return threshold < 1 && g.NodeCount > 0 && (g.NodeCount - g.LiveCount) > threshold * g.NodeCount;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _graph.Dispose();
        }
        finally { _lock.ExitWriteLock(); }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
