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

    /// <summary>One product, split by rows; the same instance is reused per calling thread (no per-call allocation).</summary>
    private sealed class ProductJob : IRangeJob
    {
        private QuantizedMatrix _w;
        private delegate*<byte*, ActivationView*, float> _kernel;
        private ActivationView[] _views = new ActivationView[1];
        private float* _y;
        private int _count;

        public void Set(in QuantizedMatrix w, PreparedActivations x, float* y, int count)
        {
            _w = w;
            _kernel = RowDot.Kernel(w.Type);
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
            var start = (int)((long)rows * part / parts);
            var end = (int)((long)rows * (part + 1) / parts);
            var kernel = _kernel;
            fixed (ActivationView* views = _views)
            {
                if (_count > 1 && _w.Type is GgmlType.F16 or GgmlType.BF16)
                {
                    RunHalfRowsBatched(start, end, views);
                    return;
                }
                for (var r = start; r < end; r++)
                {
                    var row = _w.RowPointer(r);
                    // Row-outer, activation-inner: the row stays in L1 while all activations use it.
                    for (var j = 0; j < _count; j++) _y[(long)j * rows + r] = kernel(row, views + j);
                }
            }
        }

        /// <summary>Batched 16-bit float rows: convert each row to float once, then dot it with every activation.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void RunHalfRowsBatched(int start, int end, ActivationView* views)
        {
            var cols = _w.Cols;
            var rows = _w.Rows;
            var buf = t_row is { } t && t.Length >= cols ? t : (t_row = new float[cols]);
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
}
