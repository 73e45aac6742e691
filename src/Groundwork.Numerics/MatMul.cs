using Groundwork.Numerics.Quantization;

namespace Groundwork.Numerics;

/// <summary>
/// Matrix-vector and matrix-matrix products of a (quantized) weight matrix with float activations, split over
/// <see cref="Threads"/> workers by contiguous row ranges. Quantized weights multiply 8-bit-rounded activations in
/// integers, as llama.cpp does; prepare the activations once with <see cref="PreparedActivations"/> when several
/// matrices share an input.
/// </summary>
public static unsafe class MatMul
{
    private static int s_threads = Environment.ProcessorCount;

    /// <summary>Worker count for the products (default <see cref="Environment.ProcessorCount"/>; 1 = the calling thread only).</summary>
    public static int Threads
    {
        get => s_threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_threads = value;
        }
    }

    [ThreadStatic] private static PreparedActivations? t_scratch;
    [ThreadStatic] private static ProductJob? t_job;
    [ThreadStatic] private static bool t_noTiles;

    /// <summary>Whether products on this thread may use the register-blocked tiles and the F16 matvec kernel (default
    /// true); benchmarks and tests turn them off to compare with the row kernels.</summary>
    internal static bool Tiles
    {
        get => !t_noTiles;
        set => t_noTiles = !value;
    }

    /// <summary>y[r] = row r of <paramref name="w"/> · <paramref name="x"/>, for every row.</summary>
    public static void MatVec(in QuantizedMatrix w, ReadOnlySpan<float> x, Span<float> y)
    {
        var prep = t_scratch ??= new PreparedActivations();
        CheckShapes(w, x.Length, y.Length, 1);
        if (w.Cols == 0) { y[..w.Rows].Clear(); return; }
        prep.Load(x);
        Run(w, prep, y);
    }

    /// <summary>y[r] = row r of <paramref name="w"/> · the prepared vector (vector 0 of <paramref name="x"/>).</summary>
    public static void MatVec(in QuantizedMatrix w, PreparedActivations x, Span<float> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckShapes(w, x.Length, y.Length, 1);
        if (w.Cols == 0) { y[..w.Rows].Clear(); return; }
        Run(w, x, y, count: 1);
    }

    /// <summary>
    /// Batched product: <paramref name="x"/> is <paramref name="n"/> × Cols row-major, <paramref name="y"/> is
    /// <paramref name="n"/> × Rows row-major; each weight row is read once and used for all n activations.
    /// </summary>
    public static void MatMulBatch(in QuantizedMatrix w, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        CheckShapes(w, x.Length, y.Length, n);
        if (w.Cols == 0) { y[..(w.Rows * n)].Clear(); return; }
        var prep = t_scratch ??= new PreparedActivations();
        prep.Load(x[..(n * w.Cols)], n);
        Run(w, prep, y, n);
    }

    /// <summary>Batched product with prepared activations (all <see cref="PreparedActivations.Count"/> vectors).</summary>
    public static void MatMulBatch(in QuantizedMatrix w, PreparedActivations x, Span<float> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckShapes(w, x.Length * x.Count, y.Length, x.Count);
        if (w.Cols == 0) { y[..(w.Rows * x.Count)].Clear(); return; }
        Run(w, x, y, x.Count);
    }

    private static void CheckShapes(in QuantizedMatrix w, int xLength, int yLength, int n)
    {
        if (xLength < (long)n * w.Cols) throw new ArgumentException($"x has {xLength} values; {n} × {w.Cols} columns needed");
        if (yLength < (long)n * w.Rows) throw new ArgumentException($"y has room for {yLength} values; {n} × {w.Rows} rows needed");
        RowDot.ActivationKind(w.Type); // throws NotSupportedException for types without a kernel
    }

    private static void Run(in QuantizedMatrix w, PreparedActivations x, Span<float> y, int count = 1)
    {
        if (x.Length != w.Cols) throw new ArgumentException($"activations have {x.Length} elements; the matrix has {w.Cols} columns");
        x.Prepare(w.Type); // quantize on this thread before workers read it
        var job = t_job ??= new ProductJob();
        fixed (float* yp = y)
        {
            job.Set(w, x, yp, count);
            var bytes = w.RowBytes * w.Rows * count;
            // Tiny products are not worth waking workers for. Otherwise a few contiguous row ranges per thread, claimed
            // dynamically, so a thread that is descheduled or slow does not hold up the others.
            var threads = bytes < 16 * 1024 ? 1 : Math.Min(Threads, w.Rows);
            var parts = threads == 1 ? 1 : Math.Min(w.Rows, threads * 4);
            WorkerPool.Run(job, parts, threads);
            job.Clear();
        }
    }

    [ThreadStatic] private static float[]? t_row;

    /// <summary>Activation bytes per token chunk of a tiled product: the chunk's activations stay in L2 while every
    /// row tile of the part passes over them (weights are re-read once per chunk, activations once per row tile).</summary>
    private const int ChunkBytes = 256 * 1024;

    /// <summary>One product, split by rows; the same instance is reused per calling thread (no per-call allocation).</summary>
    private sealed class ProductJob : IRangeJob
    {
        private QuantizedMatrix _w;
        private delegate*<byte*, ActivationView*, float> _kernel;
        private delegate*<byte*, nint, ActivationView*, float*, nint, void> _tile;
        private bool _floatTile, _halfVec;
        private ActivationView[] _views = new ActivationView[1];
        private float* _y;
        private int _count;

        public void Set(in QuantizedMatrix w, PreparedActivations x, float* y, int count)
        {
            _w = w;
            _kernel = RowDot.Kernel(w.Type);
            // Tiles and the F16 matvec kernel are 256-bit-or-wider code; narrower settings keep the row kernels
            // (which are also the reference the tiles are tested against).
            var wide = Tiles && RowDot.ActiveIsa == KernelIsa.Vector256;
            _tile = wide && count >= SimdDot.TileTokens ? SimdDot.Tile(w.Type) : null;
            _floatTile = wide && count >= SimdDot.TileTokens && w.Type is GgmlType.F16 or GgmlType.BF16;
            _halfVec = wide && count == 1 && w.Type == GgmlType.F16;
            if (_views.Length < count) _views = new ActivationView[Math.Max(count, _views.Length * 2)];
            for (var j = 0; j < count; j++) _views[j] = x.View(j, w.Type);
            _y = y;
            _count = count;
        }

        public void Clear()
        {
            _w = default;
            _y = null;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, int parts)
        {
            var rows = _w.Rows;
            // Part boundaries on multiples of the tile height, so only the last part has a partial row tile.
            var tiles = (rows + SimdDot.TileRows - 1) / SimdDot.TileRows;
            var start = Math.Min(rows, (int)((long)tiles * part / parts) * SimdDot.TileRows);
            var end = Math.Min(rows, (int)((long)tiles * (part + 1) / parts) * SimdDot.TileRows);
            var kernel = _kernel;
            fixed (ActivationView* views = _views)
            {
                if (_tile != null)
                {
                    RunTiled(start, end, views);
                    return;
                }
                if (_floatTile)
                {
                    RunFloatTiled(start, end, views);
                    return;
                }
                if (_count > 1 && _w.Type is GgmlType.F16 or GgmlType.BF16)
                {
                    RunHalfRowsBatched(start, end, views);
                    return;
                }
                var r = start;
                if (_halfVec)
                {
                    for (; r < end; r++) _y[r] = FloatTiles.DotF16Row((short*)_w.RowPointer(r), views->F, _w.Cols);
                }
                for (; r < end; r++)
                {
                    var row = _w.RowPointer(r);
                    // Row-outer, activation-inner: the row stays in L1 while all activations use it.
                    for (var j = 0; j < _count; j++) _y[(long)j * rows + r] = kernel(row, views + j);
                }
            }
        }

        /// <summary>Tokens per chunk of a tiled product: a multiple of the tile width, at least one tile.</summary>
        private int Chunk(long bytesPerToken)
        {
            var chunk = (int)Math.Clamp(ChunkBytes / Math.Max(1, bytesPerToken), SimdDot.TileTokens, 1 << 20);
            chunk -= chunk % SimdDot.TileTokens;
            return chunk;
        }

        /// <summary>Quantized rows in 4 × 4 register tiles over token chunks; leftover rows and tokens take the row kernel.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void RunTiled(int start, int end, ActivationView* views)
        {
            var rows = _w.Rows;
            var rb = (nint)_w.RowBytes;
            var tile = _tile;
            var kernel = _kernel;
            var chunk = Chunk(_w.Cols + _w.Cols / 8);
            for (var t0 = 0; t0 < _count; t0 += chunk)
            {
                var t1 = Math.Min(_count, t0 + chunk);
                var tiled = t0 + (t1 - t0) / SimdDot.TileTokens * SimdDot.TileTokens;
                var r = start;
                for (; r + SimdDot.TileRows <= end; r += SimdDot.TileRows)
                {
                    var row = _w.RowPointer(r);
                    var t = t0;
                    for (; t < tiled; t += SimdDot.TileTokens) tile(row, rb, views + t, _y + (long)t * rows + r, rows);
                    for (; t < t1; t++)
                        for (var k = 0; k < SimdDot.TileRows; k++) _y[(long)t * rows + r + k] = kernel(row + k * rb, views + t);
                }
                for (; r < end; r++)
                {
                    var row = _w.RowPointer(r);
                    for (var t = t0; t < t1; t++) _y[(long)t * rows + r] = kernel(row, views + t);
                }
            }
        }

        /// <summary>16-bit float rows: 4 rows converted to float once per token chunk, then 4 × 4 FMA tiles.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void RunFloatTiled(int start, int end, ActivationView* views)
        {
            var cols = _w.Cols;
            var rows = _w.Rows;
            var n = SimdDot.TileRows * cols;
            var buf = t_row is { } b && b.Length >= n ? b : (t_row = GC.AllocateUninitializedArray<float>(n, pinned: true));
            var chunk = Chunk(4L * cols);
            fixed (float* f = buf)
            {
                for (var t0 = 0; t0 < _count; t0 += chunk)
                {
                    var t1 = Math.Min(_count, t0 + chunk);
                    var tiled = t0 + (t1 - t0) / SimdDot.TileTokens * SimdDot.TileTokens;
                    var r = start;
                    for (; r + SimdDot.TileRows <= end; r += SimdDot.TileRows)
                    {
                        var src = new ReadOnlySpan<ushort>(_w.RowPointer(r), n); // the 4 rows are contiguous
                        if (_w.Type == GgmlType.F16) FloatDot.HalfToSingle(src, buf.AsSpan(0, n));
                        else FloatDot.Bf16ToSingle(src, buf.AsSpan(0, n));
                        var t = t0;
                        for (; t < tiled; t += SimdDot.TileTokens) FloatTiles.Tile(f, views + t, _y + (long)t * rows + r, rows);
                        for (; t < t1; t++)
                            for (var k = 0; k < SimdDot.TileRows; k++)
                                _y[(long)t * rows + r + k] = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(f + k * cols, cols), new ReadOnlySpan<float>(views[t].F, cols));
                    }
                    if (r < end && t0 == 0) RunHalfRowsBatched(r, end, views);
                }
            }
        }

        /// <summary>Batched 16-bit float rows: convert each row to float once, then dot it with every activation.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void RunHalfRowsBatched(int start, int end, ActivationView* views)
        {
            var cols = _w.Cols;
            var rows = _w.Rows;
            var buf = t_half is { } t && t.Length >= cols ? t : (t_half = new float[cols]);
            var row = buf.AsSpan(0, cols);
            for (var r = start; r < end; r++)
            {
                var src = new ReadOnlySpan<ushort>(_w.RowPointer(r), cols);
                if (_w.Type == GgmlType.F16) FloatDot.HalfToSingle(src, row);
                else FloatDot.Bf16ToSingle(src, row);
                for (var j = 0; j < _count; j++)
                    _y[(long)j * rows + r] = System.Numerics.Tensors.TensorPrimitives.Dot(row, new ReadOnlySpan<float>(views[j].F, cols));
            }
        }
    }

    [ThreadStatic] private static float[]? t_half;
}
