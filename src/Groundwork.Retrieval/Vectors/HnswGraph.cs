using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Groundwork.Retrieval.Vectors;

/// <summary>The HNSW graph and its node storage (Malkov and Yashunin, 2016). Distances are negated similarities, so
/// lower is better throughout. Construction always measures with the float32 originals; searches traverse the
/// compact codes (int8/float16) and re-score the final candidates with the originals.</summary>
/// <remarks>Per node: id, level, tombstone flag (managed arrays); layer-0 links [count, M0 ids] and float32 vector
/// and code (fixed-stride <see cref="NodeRegion"/>s, served from the file mapping after open); upper-layer links
/// [count, M ids] per level 1..level (a managed int[] per node, about 1 node in M has one).</remarks>
internal sealed unsafe class HnswGraph : IDisposable
{
    private const int StripeCount = 1 << 12;

    private readonly object _entryLock = new();
    private readonly object[] _stripes;
    private readonly Random _rng;
    private readonly double _mL;
    private readonly VectorStorage _storage;
    private long[] _ids;
    private byte[] _levels;
    private byte[] _deleted;
    private int[]?[] _upper;
    private readonly Dictionary<long, int> _nodeOf;
    private IDisposable? _mapping;

    public HnswGraph(int dimension, HnswOptions options, int capacity = 0, IDisposable? mapping = null,
        NodeRegion? links0 = null, NodeRegion? vectors = null, NodeRegion? codes = null)
    {
        Dim = dimension;
        Options = options;
        M = options.M;
        M0 = 2 * options.M;
        _mL = 1.0 / Math.Log(M);
        _storage = options.Storage;
        _rng = new Random(options.Seed);
        CodeStride = options.Storage switch
        {
            VectorStorage.Int8 => 4 + ((dimension + 3) & ~3),
            VectorStorage.Float16 => 2L * dimension,
            _ => 0,
        };
        Links0 = links0 ?? new NodeRegion(4L * (1 + M0));
        Vectors = vectors ?? new NodeRegion(4L * dimension);
        Codes = CodeStride == 0 ? null : codes ?? new NodeRegion(CodeStride);
        _stripes = new object[StripeCount];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new object();
        _ids = new long[Math.Max(capacity, 16)];
        _levels = new byte[_ids.Length];
        _deleted = new byte[_ids.Length];
        _upper = new int[]?[_ids.Length];
        _nodeOf = new Dictionary<long, int>(capacity);
        _mapping = mapping;
    }

    public int Dim { get; }
    public HnswOptions Options { get; }
    public int M { get; }
    public int M0 { get; }
    public long CodeStride { get; }
    public NodeRegion Links0 { get; }
    public NodeRegion Vectors { get; }
    public NodeRegion? Codes { get; }
    public int NodeCount { get; private set; }
    public int LiveCount { get; private set; }
    public int Entry { get; private set; } = -1;
    public int MaxLevel { get; private set; } = -1;

    internal ReadOnlySpan<long> Ids => _ids.AsSpan(0, NodeCount);
    internal ReadOnlySpan<byte> Levels => _levels.AsSpan(0, NodeCount);
    internal ReadOnlySpan<byte> Deleted => _deleted.AsSpan(0, NodeCount);
    internal int[]? UpperLinks(int node) => _upper[node];

    /// <summary>Bytes a search touches per node (links, code or vector, id/level/flag, upper links on average).</summary>
    public double TraversalBytesPerNode
    {
        get
        {
            long upper = 0;
            for (int i = 0; i < NodeCount; i++) upper += (_upper[i]?.Length ?? 0) * 4L;
            return Links0.Stride + (Codes?.Stride ?? Vectors.Stride) + 10 + (NodeCount == 0 ? 0 : (double)upper / NodeCount);
        }
    }

    // ---------------------------------------------------------------- staging (single-threaded, under write lock)

    /// <summary>Appends a node with its vector and code but no links yet; returns its index.</summary>
    public int Stage(long id, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dim)
            throw new ArgumentException($"Vector for id {id} has {vector.Length} dimensions; the index has {Dim}.", nameof(vector));
        float norm = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i])) throw new ArgumentException($"Vector for id {id} has a non-finite value at dimension {i}.", nameof(vector));
        }
        if (Options.Metric == DistanceMetric.Cosine)
        {
            norm = TensorPrimitives.Norm(vector);
            if (!(norm > 0) || !float.IsFinite(norm)) throw new ArgumentException($"Vector for id {id} has zero norm and cannot be compared by cosine.", nameof(vector));
        }

        int node = NodeCount;
        EnsureCapacity(node + 1);
        var dst = new Span<float>(Vectors[node], Dim);
        if (Options.Metric == DistanceMetric.Cosine) TensorPrimitives.Divide(vector, norm, dst);
        else vector.CopyTo(dst);
        Encode(node);

        int level = Math.Min(31, (int)(-Math.Log(1.0 - _rng.NextDouble()) * _mL));
        _ids[node] = id;
        _levels[node] = (byte)level;
        _deleted[node] = 0;
        _upper[node] = level == 0 ? null : new int[level * (M + 1)];
        *(int*)Links0[node] = 0;
        if (_nodeOf.TryGetValue(id, out int old))
        {
            _deleted[old] = 1;
            LiveCount--;
        }
        _nodeOf[id] = node;
        LiveCount++;
        NodeCount = node + 1;
        return node;
    }

    private void Encode(int node)
    {
        if (Codes is null) return;
        var v = new ReadOnlySpan<float>(Vectors[node], Dim);
        byte* code = Codes[node];
        if (Options.Storage == VectorStorage.Int8) *(float*)code = VectorKernels.QuantizeInt8(v, (sbyte*)(code + 4));
        else VectorKernels.ToHalf(v, (ushort*)code);
    }

    public void EnsureCapacity(int total)
    {
        Links0.EnsureCapacity(total);
        Vectors.EnsureCapacity(total);
        Codes?.EnsureCapacity(total);
        if (total <= _ids.Length) return;
        int capacity = Math.Max(total, _ids.Length * 2);
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _levels, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _upper, capacity);
    }

    public bool Remove(long id)
    {
        if (!_nodeOf.Remove(id, out int node)) return false;
        _deleted[node] = 1;
        LiveCount--;
        return true;
    }

    public bool Contains(long id) => _nodeOf.ContainsKey(id);

    // ---------------------------------------------------------------- linking (thread-safe between inserts)

    /// <summary>Links staged nodes [from, to) into the graph, in parallel when <paramref name="parallelism"/> &gt; 1.</summary>
    public void LinkRange(int from, int to, int parallelism)
    {
        if (parallelism <= 1 || to - from < 256)
        {
            var scratch = NewScratch();
            for (int i = from; i < to; i++) Link(i, scratch);
            return;
        }
        // Insert the first few sequentially so that the parallel workers start from a connected graph.
        int seed = Math.Min(to, from + 64);
        var first = NewScratch();
        for (int i = from; i < seed; i++) Link(i, first);
        // Parallel.For calls localInit once per task replica, and replicas are recycled every ~100 ms: without a pool,
        // a million-node build would allocate thousands of scratches (each with a node-sized visited array).
        var pool = new ConcurrentBag<SearchScratch> { first };
        Parallel.For(seed, to, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            () => pool.TryTake(out var s) ? s : NewScratch(),
            (i, _, scratch) => { Link(i, scratch); return scratch; }, pool.Add);
    }

    public SearchScratch NewScratch() => new(Dim, M0);

    private void Link(int node, SearchScratch s)
    {
        float* q = (float*)Vectors[node];
        int level = _levels[node];
        int ep, maxLevel;
        lock (_entryLock)
        {
            if (Entry < 0)
            {
                Entry = node;
                MaxLevel = level;
                return;
            }
            ep = Entry;
            maxLevel = MaxLevel;
        }
        bool promote = level > maxLevel;
        if (promote) Monitor.Enter(_entryLock);
        try
        {
            if (promote) { ep = Entry; maxLevel = MaxLevel; promote = level > maxLevel; }
            float epd = -VectorKernels.Dot(q, (float*)Vectors[ep], Dim);
            for (int l = maxLevel; l > level; l--) (ep, epd) = Greedy(q, ep, epd, l, s);
            for (int l = Math.Min(level, maxLevel); l >= 0; l--)
            {
                SearchLayerBuild(s, q, node, ep, epd, Options.EfConstruction, l);
                int n = DrainSorted(s.Results, s);
                if (n == 0) continue;
                ep = s.SortNodes[0];
                epd = s.SortKeys[0];
                int chosen = SelectHeuristic(s, n, M, s.Selected);
                int maxLinks = l == 0 ? M0 : M;
                SetLinks(node, l, s.Selected.AsSpan(0, chosen), maxLinks, s);
                for (int j = 0; j < chosen; j++) AddBackLink(s.Selected[j], node, l, maxLinks, s);
            }
            if (promote)
            {
                Entry = node;
                MaxLevel = level;
            }
        }
        finally
        {
            if (Monitor.IsEntered(_entryLock)) Monitor.Exit(_entryLock);
        }
    }

    private (int, float) Greedy(float* q, int cur, float curd, int level, SearchScratch s)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            int cnt = CopyLinks(cur, level, s.Links);
            for (int j = 0; j < cnt; j++)
            {
                int n = s.Links[j];
                if ((uint)n >= (uint)NodeCount) continue;
                float d = -VectorKernels.Dot(q, (float*)Vectors[n], Dim);
                if (d < curd) { curd = d; cur = n; changed = true; }
            }
        }
        return (cur, curd);
    }

    private void SearchLayerBuild(SearchScratch s, float* q, int self, int ep, float epd, int ef, int level)
    {
        s.NewVisit(NodeCount);
        var visited = s.Visited;
        int stamp = s.Stamp;
        var cand = s.Candidates;
        var res = s.Results;
        cand.Clear();
        res.Clear();
        visited[self] = stamp;
        visited[ep] = stamp;
        cand.Push(epd, ep);
        res.Push(-epd, ep);
        var links = s.Links;
        while (cand.Count > 0)
        {
            float cd = cand.PeekKey;
            if (res.Count >= ef && cd > -res.PeekKey) break;
            int c = cand.Pop();
            int cnt = CopyLinks(c, level, links);
            int fresh = 0;
            for (int j = 0; j < cnt; j++)
            {
                int n = links[j];
                if ((uint)n >= (uint)NodeCount || visited[n] == stamp) continue;
                visited[n] = stamp;
                links[fresh++] = n;
                if (Sse.IsSupported) PrefetchVector(n);
            }
            for (int j = 0; j < fresh; j++)
            {
                int n = links[j];
                float d = -VectorKernels.Dot(q, (float*)Vectors[n], Dim);
                if (res.Count < ef || d < -res.PeekKey)
                {
                    cand.Push(d, n);
                    res.Push(-d, n);
                    if (res.Count > ef) res.Pop();
                }
            }
        }
    }

    /// <summary>Empties a results heap (negated keys) into s.SortKeys/SortNodes in ascending distance.</summary>
    private static int DrainSorted(MinHeap results, SearchScratch s)
    {
        int n = results.Count;
        if (s.SortKeys.Length < n)
        {
            s.SortKeys = new float[n * 2];
            s.SortNodes = new int[n * 2];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            s.SortKeys[i] = -results.PeekKey;
            s.SortNodes[i] = results.Pop();
        }
        return n;
    }

    /// <summary>The neighbour selection heuristic (algorithm 4): keep a candidate only when it is closer to the base
    /// than to every neighbour already kept. Candidates are in s.SortKeys/SortNodes, ascending.</summary>
    private int SelectHeuristic(SearchScratch s, int n, int max, int[] selected)
    {
        int chosen = 0;
        for (int i = 0; i < n && chosen < max; i++)
        {
            int c = s.SortNodes[i];
            float d = s.SortKeys[i];
            float* cv = (float*)Vectors[c];
            bool good = true;
            for (int j = 0; j < chosen; j++)
            {
                if (-VectorKernels.Dot(cv, (float*)Vectors[selected[j]], Dim) < d) { good = false; break; }
            }
            if (good) selected[chosen++] = c;
        }
        return chosen;
    }

    private void AddBackLink(int target, int node, int level, int maxLinks, SearchScratch s)
    {
        lock (_stripes[target & (StripeCount - 1)])
        {
            Span<int> links = LinkSlot(target, level, out int* countPtr, out int[]? upper, out int upperOffset);
            int cnt = level == 0 ? *countPtr : upper![upperOffset];
            cnt = Math.Min(cnt, maxLinks);
            for (int j = 0; j < cnt; j++) if (links[j] == node) return;
            if (cnt < maxLinks)
            {
                links[cnt] = node;
                SetCount(level, countPtr, upper, upperOffset, cnt + 1);
                return;
            }
            // Full: re-select among the old links and the new node by the heuristic, measured from the target.
            float* tv = (float*)Vectors[target];
            if (s.SortKeys.Length < cnt + 1) { s.SortKeys = new float[2 * (cnt + 1)]; s.SortNodes = new int[2 * (cnt + 1)]; }
            int m = 0;
            for (int j = 0; j <= cnt; j++)
            {
                int c = j < cnt ? links[j] : node;
                if ((uint)c >= (uint)NodeCount) continue;
                float d = -VectorKernels.Dot(tv, (float*)Vectors[c], Dim);
                int k = m++;
                while (k > 0 && s.SortKeys[k - 1] > d) { s.SortKeys[k] = s.SortKeys[k - 1]; s.SortNodes[k] = s.SortNodes[k - 1]; k--; }
                s.SortKeys[k] = d;
                s.SortNodes[k] = c;
            }
            var keptArr = s.Links; // scratch of M0 + 1 ints
            int chosen = SelectHeuristic(s, m, maxLinks, keptArr);
            for (int j = 0; j < chosen; j++) links[j] = keptArr[j];
            SetCount(level, countPtr, upper, upperOffset, chosen);
        }
    }

    private static void SetCount(int level, int* countPtr, int[]? upper, int upperOffset, int value)
    {
        if (level == 0) Volatile.Write(ref *countPtr, value);
        else Volatile.Write(ref upper![upperOffset], value);
    }

    private Span<int> LinkSlot(int node, int level, out int* countPtr, out int[]? upper, out int upperOffset)
    {
        if (level == 0)
        {
            countPtr = (int*)Links0[node];
            upper = null;
            upperOffset = 0;
            return new Span<int>(countPtr + 1, M0);
        }
        countPtr = null;
        upper = _upper[node]!;
        upperOffset = (level - 1) * (M + 1);
        return upper.AsSpan(upperOffset + 1, M);
    }

    /// <summary>
    /// Sets a new node's own links at a level. In a parallel build another insert can reach this node through a level
    /// above before the node has chosen its links here, descend from it, and add a back-link to it at this level; a
    /// plain overwrite would drop that back-link and leave the other node unreachable (measured: 4-25 of 3,000 nodes
    /// not found by searching for themselves, ef 64, after a 2-4-thread build, none after one thread; 0-3 with this
    /// merge). Those early back-links are merged in under the same lock, pruned by the heuristic like any back-link
    /// when the list is full. (The other node's own links stay as poor as its search from a link-less entry was; the
    /// remaining gap to a sequential build.)
    /// </summary>
    private void SetLinks(int node, int level, ReadOnlySpan<int> links, int maxLinks, SearchScratch s)
    {
        lock (_stripes[node & (StripeCount - 1)])
        {
            var slot = LinkSlot(node, level, out int* countPtr, out int[]? upper, out int off);
            int early = Math.Min(level == 0 ? *countPtr : upper![off], slot.Length);
            if (early > 0) slot[..early].CopyTo(s.Early);
            links.CopyTo(slot);
            SetCount(level, countPtr, upper, off, links.Length);
            for (int j = 0; j < early; j++)
            {
                int e = s.Early[j];
                if (!links.Contains(e)) AddBackLink(node, e, level, maxLinks, s); // re-entrant lock on the same stripe
            }
        }
    }

    /// <summary>Copies a node's links at a level under its stripe lock (inserts may be rewriting them).</summary>
    private int CopyLinks(int node, int level, int[] dst)
    {
        if (level > 0 && (_upper[node] is not { } u || (level - 1) * (M + 1) >= u.Length)) return 0;
        lock (_stripes[node & (StripeCount - 1)])
        {
            var slot = LinkSlot(node, level, out int* countPtr, out int[]? upper, out int off);
            int cnt = Math.Min(level == 0 ? *countPtr : upper![off], slot.Length);
            if (cnt < 0) cnt = 0;
            slot[..cnt].CopyTo(dst);
            return cnt;
        }
    }

    // ---------------------------------------------------------------- search (no writers; concurrent readers)

    /// <summary>Finds the ef best nodes passing the filter; writes (distance, node) ascending to s.SortKeys/SortNodes
    /// and returns how many. Distances are exact (float32) even when the traversal used codes.</summary>
    public int Search(ReadOnlySpan<float> query, int ef, Func<long, bool>? filter, SearchScratch s)
    {
        if (Entry < 0) return 0;
        PrepareQuery(query, s);
        int cur = Entry;
        float curd = QueryDistance(s, cur);
        for (int l = MaxLevel; l > 0; l--)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                var u = _upper[cur];
                int off = (l - 1) * (M + 1);
                if (u is null || off >= u.Length) break;
                int cnt = Math.Min(u[off], M);
                for (int j = 0; j < cnt; j++)
                {
                    int n = u[off + 1 + j];
                    if ((uint)n >= (uint)NodeCount) continue;
                    s.Evaluations++;
                    float d = QueryDistance(s, n);
                    if (d < curd) { curd = d; cur = n; changed = true; }
                }
            }
        }
        SearchLayer0(s, cur, curd, ef, filter);
        int found = DrainSorted(s.Results, s);
        if (Codes is not null)
        {
            // Re-score with the float32 originals and re-sort (insertion sort: ef is small).
            fixed (float* q = s.Query)
            {
                for (int i = 0; i < found; i++)
                {
                    float d = -VectorKernels.Dot(q, (float*)Vectors[s.SortNodes[i]], Dim);
                    int node = s.SortNodes[i];
                    int k = i;
                    while (k > 0 && s.SortKeys[k - 1] > d) { s.SortKeys[k] = s.SortKeys[k - 1]; s.SortNodes[k] = s.SortNodes[k - 1]; k--; }
                    s.SortKeys[k] = d;
                    s.SortNodes[k] = node;
                }
            }
        }
        return found;
    }

    public long IdOf(int node) => _ids[node];

    private void PrepareQuery(ReadOnlySpan<float> query, SearchScratch s)
    {
        if (query.Length != Dim) throw new ArgumentException($"Query has {query.Length} dimensions; the index has {Dim}.", nameof(query));
        var q = s.Query.AsSpan(0, Dim);
        if (Options.Metric == DistanceMetric.Cosine)
        {
            float norm = TensorPrimitives.Norm(query);
            if (norm > 0) TensorPrimitives.Divide(query, norm, q);
            else query.CopyTo(q);
        }
        else query.CopyTo(q);
        if (Options.Storage == VectorStorage.Int8)
        {
            fixed (sbyte* code = s.QueryCode) s.QueryScale = VectorKernels.QuantizeInt8(q, code);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float QueryDistance(SearchScratch s, int node)
    {
        switch (_storage)
        {
            case VectorStorage.Int8:
                byte* code = Codes![node];
                return -(s.QueryScale * *(float*)code * VectorKernels.DotInt8(s.QueryCodePtr, (sbyte*)(code + 4), Dim));
            case VectorStorage.Float16:
                return -VectorKernels.DotHalf(s.QueryPtr, (ushort*)Codes![node], Dim);
            default:
                return -VectorKernels.Dot(s.QueryPtr, (float*)Vectors[node], Dim);
        }
    }

    /// <summary>Layer-0 beam search. Every node serves navigation; only live nodes passing the filter enter the
    /// results. While fewer than ef results pass, the beam does not stop, so selective filters widen the search.</summary>
    private void SearchLayer0(SearchScratch s, int ep, float epd, int ef, Func<long, bool>? filter)
    {
        s.NewVisit(NodeCount);
        var visited = s.Visited;
        int stamp = s.Stamp;
        var cand = s.Candidates;
        var res = s.Results;
        var deleted = _deleted;
        var ids = _ids;
        cand.Clear();
        res.Clear();
        visited[ep] = stamp;
        cand.Push(epd, ep);
        if (deleted[ep] == 0 && (filter is null || filter(ids[ep]))) res.Push(-epd, ep);
        float lower = res.Count > 0 ? -res.PeekKey : float.MaxValue;
        int nodeCount = NodeCount;
        var batch = s.Selected; // M0 + 1 ints of scratch
        while (cand.Count > 0)
        {
            if (cand.PeekKey > lower && res.Count >= ef) break;
            int c = cand.Pop();
            int* links = (int*)Links0[c];
            int cnt = Math.Min(links[0], M0);
            links++;
            // Two passes: collect the unvisited neighbours and prefetch their data, then measure them, so that
            // the memory loads of one expansion overlap instead of arriving one after another.
            int fresh = 0;
            for (int j = 0; j < cnt; j++)
            {
                int n = links[j];
                if ((uint)n >= (uint)nodeCount || visited[n] == stamp) continue;
                visited[n] = stamp;
                batch[fresh++] = n;
                if (Sse.IsSupported) Prefetch(n);
            }
            s.Evaluations += fresh;
            for (int j = 0; j < fresh; j++)
            {
                int n = batch[j];
                float d = QueryDistance(s, n);
                if (res.Count < ef || d < lower)
                {
                    cand.Push(d, n);
                    if (deleted[n] == 0 && (filter is null || filter(ids[n])))
                    {
                        res.Push(-d, n);
                        if (res.Count > ef) res.Pop();
                    }
                    if (res.Count > 0) lower = -res.PeekKey;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchVector(int node)
    {
        byte* p = Vectors[node];
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 64);
        Sse.Prefetch0(p + 128);
        Sse.Prefetch0(p + 192);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Prefetch(int node)
    {
        // The first four lines; the hardware prefetcher follows the sequential rest of the row.
        byte* p = Codes is null ? Vectors[node] : Codes[node];
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 64);
        Sse.Prefetch0(p + 128);
        Sse.Prefetch0(p + 192);
    }

    // ---------------------------------------------------------------- loading

    /// <summary>Restores per-node metadata read from a file (the regions are already mapped).</summary>
    internal void Restore(string path, long[] ids, byte[] levels, byte[] deleted, int[]?[] upper, int nodeCount, int entry, int maxLevel)
    {
        _ids = ids;
        _levels = levels;
        _deleted = deleted;
        _upper = upper;
        NodeCount = nodeCount;
        for (int i = 0; i < nodeCount; i++)
        {
            if (deleted[i] != 0) continue;
            if (!_nodeOf.TryAdd(ids[i], i)) throw new InvalidDataException($"{path}: corrupt index: id {ids[i]} appears twice.");
        }
        LiveCount = _nodeOf.Count;
        Entry = entry;
        MaxLevel = maxLevel;
        // Advance the level generator deterministically past the restored nodes.
        for (int i = 0; i < nodeCount; i++) _rng.NextDouble();
    }

    public void Dispose()
    {
        Links0.Dispose();
        Vectors.Dispose();
        Codes?.Dispose();
        _mapping?.Dispose();
        _mapping = null;
    }
}
