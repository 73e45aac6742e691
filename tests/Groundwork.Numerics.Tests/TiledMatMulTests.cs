using Groundwork.Numerics.Quantization;
using Groundwork.Numerics.Tests.Quantization;

namespace Groundwork.Numerics.Tests;

/// <summary>
/// The register-blocked batch kernels (4 rows × 4 activations) and the F16 matvec kernel against the scalar row
/// kernels, at sizes that leave partial tiles: rows not a multiple of 4, 1..9 activations, rows of one block.
/// On machines (or CI settings) without 256-bit integer SIMD the batch takes the row kernels and the same checks hold.
/// </summary>
public sealed unsafe class TiledMatMulTests
{
    public static TheoryData<GgmlType> TiledTypes() =>
        [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16];

    private static byte[] RandomMatrix(GgmlType type, int rows, int cols, int seed)
    {
        var rowBytes = (int)GgmlTypeInfo.RowBytes(type, cols);
        var all = new byte[rows * rowBytes];
        for (var r = 0; r < rows; r++) BlockData.RandomRow(type, cols, seed + r).CopyTo(all, r * rowBytes);
        return all;
    }

    /// <summary>MatMulBatch of w (rows × cols) with n activations vs MatVec (identical for quantized types) and vs the
    /// scalar row kernel for every (row, activation), within float rounding of the magnitude Σ|w·x|.</summary>
    private static void CheckBatch(GgmlType type, int rows, int cols, int n, int seed)
    {
        var bytes = RandomMatrix(type, rows, cols, seed);
        var x = TestData.Normal(n * cols, seed: seed + 7);
        var y = new float[n * rows];
        fixed (byte* p = bytes)
        {
            var w = new QuantizedMatrix(type, p, rows, cols);
            MatMul.MatMulBatch(w, x, y, n);
            if (type is not (GgmlType.F16 or GgmlType.BF16))
            {
                // Quantized batches equal one activation at a time bit for bit (same integer sums, same float order):
                // prefill and token-by-token generation must not drift apart through the next layer's 8-bit rounding.
                var single = new float[rows];
                for (var j = 0; j < n; j++)
                {
                    MatMul.MatVec(w, x.AsSpan(j * cols, cols), single);
                    for (var r = 0; r < rows; r++)
                        Assert.True(single[r] == y[j * rows + r], $"{type} rows={rows} cols={cols} n={n}: row {r} activation {j}: batch {y[j * rows + r]} vs MatVec {single[r]}");
                }
            }
            var saved = RowDot.MaxIsa;
            try
            {
                RowDot.MaxIsa = KernelIsa.Scalar;
                for (var r = 0; r < rows; r++)
                {
                    var wr = BlockData.Dequantized(type, w.Row(r).ToArray(), cols);
                    for (var j = 0; j < n; j++)
                    {
                        var xj = x.AsSpan(j * cols, cols);
                        var reference = QuantizedOps.Dot(type, w.Row(r), xj);
                        double magnitude = 0;
                        for (var i = 0; i < cols; i++) magnitude += Math.Abs((double)wr[i] * xj[i]);
                        var got = y[j * rows + r];
                        Assert.True(Math.Abs(got - reference) <= 2e-6 * magnitude + 1e-6,
                            $"{type} rows={rows} cols={cols} n={n}: row {r} activation {j}: {got} vs scalar {reference} (Σ|w·x| {magnitude})");
                    }
                }
            }
            finally
            {
                RowDot.MaxIsa = saved;
            }
        }
    }

    [Theory]
    [MemberData(nameof(TiledTypes))]
    public void MatMulBatch_matches_the_scalar_kernel_for_partial_tiles(GgmlType type)
    {
        var block = GgmlTypeInfo.BlockSize(type);
        // One block per row; several blocks; for float rows a length with a remainder after the vector steps.
        int[] lengths = block == 1 ? [19, 64, 83] : [block, 3 * block];
        foreach (var cols in lengths)
            foreach (var rows in new[] { 1, 3, 4, 5, 7, 9 })
                for (var n = 1; n <= 9; n++)
                    CheckBatch(type, rows, cols, n, seed: rows * 100 + n + cols);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 32)]
    [InlineData(GgmlType.Q4_K, 256)]
    [InlineData(GgmlType.F16, 64)]
    public void MatMulBatch_matches_with_several_token_chunks_and_threads(GgmlType type, int cols)
    {
        // Enough activations that the tiled product splits them into more than one cache chunk (256 KiB each).
        var bytesPerToken = type == GgmlType.F16 ? 4 * cols : cols + cols / 8;
        var n = 256 * 1024 / bytesPerToken + 6;
        var saved = MatMul.Threads;
        try
        {
            foreach (var threads in new[] { 1, 2 })
            {
                MatMul.Threads = threads;
                CheckBatch(type, rows: 11, cols, n, seed: 3 + threads);
            }
        }
        finally
        {
            MatMul.Threads = saved;
        }
    }

    [Theory]
    [InlineData(1, 19)]
    [InlineData(5, 16)]
    [InlineData(7, 45)]
    [InlineData(9, 64)]
    [InlineData(13, 576)]
    public void F16_MatVec_matches_the_exact_dot_for_awkward_lengths(int rows, int cols)
    {
        var bytes = RandomMatrix(GgmlType.F16, rows, cols, seed: rows + cols);
        var x = TestData.Normal(cols, seed: cols);
        var y = new float[rows];
        fixed (byte* p = bytes)
        {
            var w = new QuantizedMatrix(GgmlType.F16, p, rows, cols);
            MatMul.MatVec(w, x, y);
            for (var r = 0; r < rows; r++)
            {
                var wr = BlockData.Dequantized(GgmlType.F16, w.Row(r).ToArray(), cols);
                var exact = BlockData.ExactDot(wr, x);
                double magnitude = 0;
                for (var i = 0; i < cols; i++) magnitude += Math.Abs((double)wr[i] * x[i]);
                Assert.True(Math.Abs(y[r] - exact) <= 2e-6 * magnitude + 1e-6, $"rows={rows} cols={cols} row {r}: {y[r]} vs {exact}");
            }
        }
    }

    [Fact]
    public void F16_MatVec_converts_every_half_bit_pattern_exactly()
    {
        // Row p holds the half with bits p in column 0 and zeros elsewhere; x = (1, 0, ...), so y[p] is the conversion
        // of p itself (NaNs stay NaN, infinities infinite, subnormals exact) through the vector path.
        const int cols = 64, rows = 65536;
        var bytes = new byte[rows * cols * 2];
        for (var pattern = 0; pattern < rows; pattern++) BitConverter.TryWriteBytes(bytes.AsSpan(pattern * cols * 2), (ushort)pattern);
        var x = new float[cols];
        x[0] = 1;
        var y = new float[rows];
        fixed (byte* p = bytes)
        {
            MatMul.MatVec(new QuantizedMatrix(GgmlType.F16, p, rows, cols), x, y);
        }
        for (var pattern = 0; pattern < rows; pattern++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf((ushort)pattern);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(y[pattern]), $"0x{pattern:x4}: {y[pattern]} is not NaN");
            else Assert.True(expected == y[pattern], $"0x{pattern:x4}: {y[pattern]} vs {expected}");
        }
    }
}
