using Groundwork.Numerics.Quantization;
using Groundwork.Testing;

namespace Groundwork.Numerics.Tests.Quantization;

/// <summary>Checks dequantization and quantization against tensors llama.cpp's llama-quantize wrote.</summary>
public sealed unsafe class GgufFileTests(ITestOutputHelper output)
{
    private const string Tensor = "token_embd.weight";

    private static string ModelPath(string type) => TestPaths.Shared("models", "tiny-random", $"tiny-llama-{type}.gguf");

    private static float[] LoadF32(out int rows, out int cols)
    {
        var f32 = new GgufFixture(ModelPath("F32"));
        var info = f32.Info(Tensor);
        cols = (int)info.Dims[0];
        rows = (int)info.Dims[1];
        var bytes = f32.ReadBytes(Tensor, (long)rows * cols * 4);
        var x = new float[rows * cols];
        QuantizedOps.Dequantize(GgmlType.F32, bytes, x);
        return x;
    }

    private static byte[] LoadQuantized(GgmlType type, int rows, int cols)
    {
        var file = new GgufFixture(ModelPath(type.ToString()));
        var info = file.Info(Tensor);
        Assert.Equal((uint)type, info.Type);
        Assert.Equal(cols, info.Dims[0]);
        Assert.Equal(rows, info.Dims[1]);
        return file.ReadBytes(Tensor, GgmlTypeInfo.RowBytes(type, cols) * rows);
    }

    [Theory]
    [InlineData(GgmlType.F16, 1e-3)]
    [InlineData(GgmlType.BF16, 4e-3)]
    [InlineData(GgmlType.Q8_0, 0.01)]
    [InlineData(GgmlType.Q6_K, 0.03)]
    [InlineData(GgmlType.Q5_0, 0.06)]
    [InlineData(GgmlType.Q5_1, 0.06)]
    [InlineData(GgmlType.Q5_K, 0.06)]
    [InlineData(GgmlType.Q4_0, 0.12)]
    [InlineData(GgmlType.Q4_1, 0.12)]
    [InlineData(GgmlType.Q4_K, 0.12)]
    [InlineData(GgmlType.Q3_K, 0.25)]
    [InlineData(GgmlType.Q2_K, 0.45)]
    public void Dequantized_llama_cpp_tensor_is_close_to_the_F32_original(GgmlType type, double bound)
    {
        var x = LoadF32(out var rows, out var cols);
        var q = LoadQuantized(type, rows, cols);
        var y = new float[x.Length];
        QuantizedOps.Dequantize(type, q, y);
        var rel = TestData.RmsDiff(x, y) / TestData.Rms(x);
        output.WriteLine($"{type}: {rows}x{cols}, relative RMS error {rel:G4}");
        Assert.True(rel <= bound, $"{type}: relative RMS error {rel} > {bound}");
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Quantizing_the_F32_original_reproduces_llama_cpp_bytes(GgmlType type)
    {
        var x = LoadF32(out var rows, out var cols);
        var expected = LoadQuantized(type, rows, cols);
        var got = new byte[expected.Length];
        QuantizedOps.Quantize(type, x, got);
        var bb = GgmlTypeInfo.BlockBytes(type);
        var blocks = expected.Length / bb;
        var differing = 0;
        for (var b = 0; b < blocks; b++)
        {
            if (!expected.AsSpan(b * bb, bb).SequenceEqual(got.AsSpan(b * bb, bb))) differing++;
        }
        output.WriteLine($"{type}: {differing} of {blocks} blocks differ from llama-quantize's");
        Assert.Equal(0, differing);
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void MatVec_over_a_llama_cpp_tensor_matches_the_float64_reference(GgmlType type)
    {
        _ = LoadF32(out var rows, out var cols);
        var q = LoadQuantized(type, rows, cols);
        var w = new float[rows * cols];
        QuantizedOps.Dequantize(type, q, w);
        var x = TestData.Normal(cols, seed: 77);
        var y = new float[rows];
        var saved = MatMul.Threads;
        try
        {
            MatMul.Threads = 2;
            fixed (byte* p = q) MatMul.MatVec(new QuantizedMatrix(type, p, rows, cols), x, y);
        }
        finally
        {
            MatMul.Threads = saved;
        }
        double worst = 0;
        for (var r = 0; r < rows; r++)
        {
            var wr = w.AsSpan(r * cols, cols);
            var exact = BlockData.ExactDot(wr, x);
            var bound = BlockData.DotBound(type, wr, x);
            Assert.True(Math.Abs(y[r] - exact) <= bound, $"{type} row {r}: {y[r]} vs {exact} (bound {bound})");
            worst = Math.Max(worst, Math.Abs(y[r] - exact) / bound);
        }
        output.WriteLine($"{type}: worst |error| / bound = {worst:G3}");
    }
}
