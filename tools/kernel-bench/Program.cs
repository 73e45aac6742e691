// Measures MatVec throughput (GB/s of weight bytes streamed) per type, matrix shape and thread count.
// Usage: dotnet run -c Release --project tools/kernel-bench [-- seconds-per-case] [types...]
// KB_BATCH=n: instead, batched products of n activations (GFLOP/s, 1 thread), row kernels against the tiles.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

var seconds = args.Length > 0 && double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 0.4;
GgmlType[] types = args.Length > 1
    ? [.. args.Skip(1).Select(a => Enum.Parse<GgmlType>(a, ignoreCase: true))]
    : [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16, GgmlType.F32,
       GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q5_K, GgmlType.Q3_K, GgmlType.Q2_K];
// KB_SHAPES="rowsxcols,rowsxcols" overrides the two default shapes.
(int Rows, int Cols)[] shapes = Environment.GetEnvironmentVariable("KB_SHAPES") is { Length: > 0 } env
    ? [.. env.Split(',').Select(t => t.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture)))]
    : [(576, 1536), (896, 4864)];

// Batched products (prompt processing): KB_BATCH=n activations, 1 thread, row kernels vs register-blocked tiles.
if (Environment.GetEnvironmentVariable("KB_BATCH") is { Length: > 0 } nText)
{
    var n = int.Parse(nText, CultureInfo.InvariantCulture);
    MatMul.Threads = 1;
    Console.WriteLine($"| type | matrix (rows×cols) | batch | row kernels ms | GFLOP/s | tiles ms | GFLOP/s | speed-up |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (var type in types)
    {
        foreach (var (rows, cols) in shapes)
        {
            var bytes = Bench.MakeMatrix(type, rows, cols, out _);
            var rng = new Random(1);
            var x = new float[n * cols];
            for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            var prep = new PreparedActivations();
            prep.Load(x, n);
            var y = new float[n * rows];
            var w = Bench.Matrix(type, bytes, rows, cols);
            var line = $"| {type} | {rows}×{cols} | {n} |";
            double? rowUs = null;
            foreach (var tiles in new[] { false, true })
            {
                MatMul.Tiles = tiles;
                var us = Bench.Time(() => MatMul.MatMulBatch(w, prep, y), seconds);
                line += $" {us / 1e3:F2} | {2.0 * rows * cols * n / (us * 1e3):F1} |";
                rowUs ??= us;
                if (tiles) line += $" {rowUs / us:F2} |";
            }
            MatMul.Tiles = true;
            Console.WriteLine(line);
            Bench.Free(bytes);
        }
    }
    return;
}

// KB_NO_TILES=1: MatVec without the F16 matvec kernel (the row kernels instead), for comparison.
MatMul.Tiles = Environment.GetEnvironmentVariable("KB_NO_TILES") is not { Length: > 0 };
Console.WriteLine($"integer kernel path: {RowDot.ActiveIsa}; ProcessorCount {Environment.ProcessorCount}; {seconds}s per case; F16 matvec kernel {MatMul.Tiles}");
Console.WriteLine("| type | matrix (rows×cols) | MB | 1 thread µs | 1 thread GB/s | 2 threads µs | 2 threads GB/s |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var type in types)
{
    foreach (var (rows, cols) in shapes)
    {
        var bytes = Bench.MakeMatrix(type, rows, cols, out var rowBytes);
        try
        {
            var x = new float[cols];
            var rng = new Random(1);
            for (var i = 0; i < cols; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            var y = new float[rows];
            var line = $"| {type} | {rows}×{cols} | {rowBytes * rows / 1e6:F2} |";
            foreach (var threads in new[] { 1, 2 })
            {
                MatMul.Threads = threads;
                var us = Bench.Time(() => Bench.MatVec(type, bytes, rows, cols, x, y), seconds);
                line += $" {us:F1} | {rowBytes * rows / (us * 1e3):F1} |";
            }
            Console.WriteLine(line);
        }
        finally
        {
            Bench.Free(bytes);
        }
    }
}

// Per-call overhead: a tiny matrix where dispatch dominates.
foreach (var threads in new[] { 1, 2 })
{
    MatMul.Threads = threads;
    var bytes = Bench.MakeMatrix(GgmlType.Q8_0, 64, 256, out _);
    var x = new float[256];
    var y = new float[64];
    var us = Bench.Time(() => Bench.MatVec(GgmlType.Q8_0, bytes, 64, 256, x, y), seconds);
    Console.WriteLine($"tiny Q8_0 64×256 MatVec, {threads} thread(s): {us:F2} µs per call");
    var big = Bench.MakeMatrix(GgmlType.Q8_0, 256, 1024, out _);
    var xb = new float[1024];
    var yb = new float[256];
    us = Bench.Time(() => Bench.MatVec(GgmlType.Q8_0, big, 256, 1024, xb, yb), seconds);
    Console.WriteLine($"small Q8_0 256×1024 (278 KB, pool used) MatVec, {threads} thread(s): {us:F2} µs per call");
    Bench.Free(bytes);
    Bench.Free(big);
}

internal static unsafe class Bench
{
    public static nint MakeMatrix(GgmlType type, int rows, int cols, out long rowBytes)
    {
        rowBytes = GgmlTypeInfo.RowBytes(type, cols);
        var total = rowBytes * rows;
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        // Quantize a handful of random rows and tile them: content does not change the speed, bytes streamed do.
        var rng = new Random(42);
        var src = new float[cols];
        var distinct = Math.Min(rows, 16);
        var row = new byte[rowBytes];
        var quantizable = type is not (GgmlType.Q5_K or GgmlType.Q3_K or GgmlType.Q2_K);
        for (var r = 0; r < distinct; r++)
        {
            if (quantizable)
            {
                for (var i = 0; i < cols; i++) src[i] = (float)(rng.NextDouble() * 2 - 1);
                QuantizedOps.Quantize(type, src, row);
            }
            else
            {
                rng.NextBytes(row); // random bits; these types' fp16 scales sit at fixed offsets set below
                var bb = GgmlTypeInfo.BlockBytes(type);
                int[] halves = type == GgmlType.Q5_K ? [0, 2] : type == GgmlType.Q3_K ? [108] : [80, 82];
                for (var b = 0; b < rowBytes / bb; b++)
                    foreach (var h in halves) BitConverter.TryWriteBytes(row.AsSpan(b * bb + h), BitConverter.HalfToUInt16Bits((Half)0.01f));
            }
            for (var k = r; k < rows; k += distinct) row.CopyTo(new Span<byte>(p + k * rowBytes, (int)rowBytes));
        }
        return (nint)p;
    }

    public static QuantizedMatrix Matrix(GgmlType type, nint data, int rows, int cols) => new(type, (byte*)data, rows, cols);

    public static void Free(nint p) => NativeMemory.AlignedFree((void*)p);

    public static void MatVec(GgmlType type, nint data, int rows, int cols, float[] x, float[] y)
    {
        var w = new QuantizedMatrix(type, (byte*)data, rows, cols);
        MatMul.MatVec(w, x, y);
    }

    /// <summary>
    /// Warms up, then runs single calls for about <paramref name="seconds"/> and returns the fastest in µs. The machine
    /// this was written on is shared (load far above its core count), so the minimum is the estimate least disturbed by
    /// other processes; it is an optimistic, uncontended figure.
    /// </summary>
    public static double Time(Action action, double seconds)
    {
        for (var i = 0; i < 20; i++) action();
        var sw = Stopwatch.StartNew();
        var best = double.MaxValue;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            var t0 = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
        return best;
    }
}
