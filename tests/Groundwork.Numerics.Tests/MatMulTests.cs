using Groundwork.Numerics.Quantization;
using Groundwork.Numerics.Tests.Quantization;

namespace Groundwork.Numerics.Tests;

public sealed unsafe class MatMulTests
{
    public static TheoryData<GgmlType> Types() => [.. BlockData.DotTypes];

    private static byte[] RandomMatrix(GgmlType type, int rows, int cols, int seed)
    {
        var rowBytes = (int)GgmlTypeInfo.RowBytes(type, cols);
        var all = new byte[rows * rowBytes];
        for (var r = 0; r < rows; r++) BlockData.RandomRow(type, cols, seed + r).CopyTo(all, r * rowBytes);
        return all;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MatVec_and_MatMulBatch_match_the_reference_with_1_and_2_threads(GgmlType type)
    {
        var cols = GgmlTypeInfo.BlockSize(type) == 256 ? 512 : 96;
        const int rows = 37; // odd: uneven split across workers
        var bytes = RandomMatrix(type, rows, cols, seed: 11);
        const int n = 3;
        var x = TestData.Normal(n * cols, seed: 5);
        var saved = MatMul.Threads;
        try
        {
            fixed (byte* p = bytes)
            {
                var w = new QuantizedMatrix(type, p, rows, cols);
                foreach (var threads in new[] { 1, 2 })
                {
                    MatMul.Threads = threads;
                    var y = new float[rows];
                    var yb = new float[n * rows];
                    MatMul.MatMulBatch(w, x, yb, n);
                    for (var j = 0; j < n; j++)
                    {
                        var xj = x.AsSpan(j * cols, cols);
                        MatMul.MatVec(w, xj, y);
                        for (var r = 0; r < rows; r++)
                        {
                            var wr = BlockData.Dequantized(type, w.Row(r).ToArray(), cols);
                            var exact = BlockData.ExactDot(wr, xj);
                            var bound = BlockData.DotBound(type, wr, xj);
                            Assert.True(Math.Abs(y[r] - exact) <= bound, $"{type} MatVec threads={threads} row {r}: {y[r]} vs {exact} (bound {bound})");
                            Assert.True(Math.Abs(yb[j * rows + r] - exact) <= bound, $"{type} MatMulBatch threads={threads} row {r}: {yb[j * rows + r]} vs {exact} (bound {bound})");
                            // Same kernel, same quantized activations: the row dot and MatVec agree exactly, and so
                            // does the batch of 3 for quantized types (16-bit float batches convert rows once and sum
                            // in another order; F16 MatVec takes 4 rows per pass, also in another order).
                            if (type != GgmlType.F16) Assert.Equal(QuantizedOps.Dot(type, w.Row(r), xj), y[r]);
                            if (type is not (GgmlType.F16 or GgmlType.BF16)) Assert.Equal(y[r], yb[j * rows + r]);
                        }
                    }
                }
            }
        }
        finally
        {
            MatMul.Threads = saved;
        }
    }

    [Fact]
    public void Prepared_activations_are_reused_across_matrices_of_different_types()
    {
        const int rows = 64, cols = 512;
        var x = TestData.Normal(cols, seed: 9);
        var prep = new PreparedActivations();
        prep.Load(x);
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.F16, GgmlType.Q6_K, GgmlType.Q4_0 })
        {
            var bytes = RandomMatrix(type, rows, cols, seed: 21);
            fixed (byte* p = bytes)
            {
                var w = new QuantizedMatrix(type, p, rows, cols);
                var viaPrep = new float[rows];
                var direct = new float[rows];
                MatMul.MatVec(w, prep, viaPrep);
                MatMul.MatVec(w, x, direct);
                Assert.Equal(direct, viaPrep);
            }
        }
    }

    [Fact]
    public void Large_matrix_is_split_across_workers_consistently()
    {
        // Big enough (> 16 KiB of weights) that the worker pool really runs; many repetitions shake out races.
        const int rows = 301, cols = 1024;
        var bytes = RandomMatrix(GgmlType.Q8_0, rows, cols, seed: 3);
        var x = TestData.Normal(cols, seed: 4);
        var saved = MatMul.Threads;
        try
        {
            fixed (byte* p = bytes)
            {
                var w = new QuantizedMatrix(GgmlType.Q8_0, p, rows, cols);
                MatMul.Threads = 1;
                var single = new float[rows];
                MatMul.MatVec(w, x, single);
                MatMul.Threads = 2;
                var multi = new float[rows];
                for (var i = 0; i < 200; i++)
                {
                    multi.AsSpan().Clear();
                    MatMul.MatVec(w, x, multi);
                    Assert.Equal(single, multi);
                }
            }
        }
        finally
        {
            MatMul.Threads = saved;
        }
    }

    [Fact]
    public void Shape_errors_are_clear()
    {
        var bytes = new byte[34 * 2];
        fixed (byte* p = bytes)
        {
            var w = new QuantizedMatrix(GgmlType.Q8_0, p, 2, 32);
            var e = Assert.Throws<ArgumentException>(() => MatMul.MatVec(w, new float[16], new float[2]));
            Assert.Contains("32 columns", e.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => MatMul.MatVec(w, new float[32], new float[1]));
            var raw = (nint)p;
            Assert.Throws<ArgumentException>(() => new QuantizedMatrix(GgmlType.Q8_0, (byte*)raw, 2, 33));
            Assert.Throws<ArgumentOutOfRangeException>(() => w.Row(2));
        }
    }
}
