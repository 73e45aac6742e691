using Groundwork.Numerics.Quantization;
using static Groundwork.Numerics.Tests.Quantization.BlockData;

namespace Groundwork.Numerics.Tests.Quantization;

public sealed class QuantizedOpsTests(ITestOutputHelper output)
{
    /// <summary>Relative RMS error bound of a round trip of N(0,1) data (observed values are well below).</summary>
    private static double RoundTripBound(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1e-3,
        GgmlType.BF16 => 4e-3,
        GgmlType.Q8_0 => 0.01,
        GgmlType.Q6_K => 0.03,
        GgmlType.Q5_0 or GgmlType.Q5_1 => 0.06,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q4_K => 0.12,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static TheoryData<GgmlType> Quantizable() => [.. QuantizeTypes];

    public static TheoryData<GgmlType> Multipliable() => [.. DotTypes];

    [Theory]
    [MemberData(nameof(Quantizable))]
    public void Round_trip_stays_within_the_types_error(GgmlType type)
    {
        foreach (var blocks in new[] { 1, 3, 8 })
        {
            var n = blocks * 256;
            var x = TestData.Normal(n, seed: 7 + blocks);
            var q = new byte[GgmlTypeInfo.RowBytes(type, n)];
            QuantizedOps.Quantize(type, x, q);
            var y = new float[n];
            QuantizedOps.Dequantize(type, q, y);
            var rel = TestData.RmsDiff(x, y) / TestData.Rms(x);
            output.WriteLine($"{type} {n}: relative RMS error {rel:G3}");
            Assert.True(rel <= RoundTripBound(type), $"{type}: relative RMS error {rel} > {RoundTripBound(type)}");
        }
    }

    [Theory]
    [MemberData(nameof(Quantizable))]
    public void Quantizing_dequantized_values_reproduces_them(GgmlType type)
    {
        // A second round trip of already representable values must be (nearly) a fixed point.
        var n = 512;
        var x = TestData.Normal(n, seed: 3);
        var q = new byte[GgmlTypeInfo.RowBytes(type, n)];
        QuantizedOps.Quantize(type, x, q);
        var y = new float[n];
        QuantizedOps.Dequantize(type, q, y);
        QuantizedOps.Quantize(type, y, q);
        var z = new float[n];
        QuantizedOps.Dequantize(type, q, z);
        var rel = TestData.RmsDiff(y, z) / TestData.Rms(y);
        Assert.True(rel <= RoundTripBound(type) / 2, $"{type}: second round trip moved values by {rel}");
    }

    [Fact]
    public void Zero_blocks_quantize_to_zero()
    {
        foreach (var type in QuantizeTypes)
        {
            var x = new float[256];
            var q = new byte[GgmlTypeInfo.RowBytes(type, 256)];
            QuantizedOps.Quantize(type, x, q);
            var y = new float[256];
            y.AsSpan().Fill(1);
            QuantizedOps.Dequantize(type, q, y);
            Assert.All(y, v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Q8_0_dequantizes_to_scale_times_quant_exactly()
    {
        var block = new byte[34];
        BitConverter.TryWriteBytes(block.AsSpan(0, 2), BitConverter.HalfToUInt16Bits((Half)0.0371f));
        for (var j = 0; j < 32; j++) block[2 + j] = (byte)(sbyte)(j * 8 - 128);
        var y = new float[32];
        QuantizedOps.Dequantize(GgmlType.Q8_0, block, y);
        var d = (float)(Half)0.0371f;
        for (var j = 0; j < 32; j++) Assert.Equal((j * 8 - 128) * d, y[j]);
    }

    [Fact]
    public void Unsupported_types_throw_a_clear_error()
    {
        var e = Assert.Throws<NotSupportedException>(() => QuantizedOps.Quantize(GgmlType.Q3_K, new float[256], new byte[110]));
        Assert.Contains("Q3_K", e.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => QuantizedOps.Dequantize(GgmlType.IQ2_XXS, new byte[66], new float[256]));
        Assert.Throws<ArgumentException>(() => QuantizedOps.Quantize(GgmlType.Q4_0, new float[33], new byte[100]));
    }

    [Theory]
    [MemberData(nameof(Multipliable))]
    public void Dot_matches_a_float64_reference_on_every_isa_path(GgmlType type)
    {
        var bs = GgmlTypeInfo.BlockSize(type);
        int[] lengths = bs == 1 ? [.. Enumerable.Range(0, 258), 1000, 1023] : [bs, 2 * bs, 3 * bs, 8 * bs, bs == 32 ? 1056 : 2816];
        var saved = RowDot.MaxIsa;
        try
        {
            foreach (var n in lengths)
            {
                var row = RandomRow(type, n, seed: n * 31 + (int)type);
                var w = Dequantized(type, row, n);
                var x = TestData.Normal(n, seed: n + 1000);
                if (n > 64) x[n / 3] = 25f; // an outlier makes one activation block coarse
                var exact = ExactDot(w, x);
                var bound = DotBound(type, w, x);
                float? scalar = null;
                foreach (var isa in new[] { KernelIsa.Scalar, KernelIsa.Vector128, KernelIsa.Vector256 })
                {
                    RowDot.MaxIsa = isa;
                    var got = QuantizedOps.Dot(type, row, x);
                    Assert.True(Math.Abs(got - exact) <= bound, $"{type} n={n} {RowDot.ActiveIsa}: got {got}, exact {exact}, bound {bound}");
                    // Every SIMD path computes the same integer sums as the scalar one: only float rounding may differ.
                    scalar ??= got;
                    Assert.True(Math.Abs(got - scalar.Value) <= 1e-5 * (Math.Abs(exact) + bound) + 1e-6, $"{type} n={n} {RowDot.ActiveIsa}: {got} vs scalar {scalar}");
                }
            }
        }
        finally
        {
            RowDot.MaxIsa = saved;
        }
    }

    [Fact]
    public void Dot_rejects_a_short_row()
    {
        var e = Assert.Throws<ArgumentException>(() => QuantizedOps.Dot(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Contains("34", e.Message, StringComparison.Ordinal);
    }
}
