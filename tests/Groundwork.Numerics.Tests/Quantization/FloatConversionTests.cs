using Groundwork.Numerics.Quantization;

namespace Groundwork.Numerics.Tests.Quantization;

public sealed class FloatConversionTests
{
    [Fact]
    public void Vector_fp16_conversion_is_exact_for_all_65536_values()
    {
        var bits = new ushort[65536 + 5]; // + a remainder for the scalar tail
        for (var i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var got = new float[bits.Length];
        FloatDot.HalfToSingle(bits, got);
        for (var i = 0; i < bits.Length; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(got[i]), $"0x{bits[i]:x4}");
            else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got[i]), $"0x{bits[i]:x4}: {got[i]} vs {expected}");
        }
    }

    [Fact]
    public void Scalar_block_scale_conversion_is_exact_for_finite_values()
    {
        unsafe
        {
            for (var i = 0; i < 65536; i++)
            {
                var h = (ushort)i;
                var expected = (float)BitConverter.UInt16BitsToHalf(h);
                if (!float.IsFinite(expected)) continue;
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(SimdDot.Fp16((byte*)&h)));
            }
        }
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even_and_keeps_nan()
    {
        Assert.Equal((ushort)0x3f80, FloatDot.ToBf16(1f));
        Assert.Equal((ushort)0x3f80, FloatDot.ToBf16(BitConverter.UInt32BitsToSingle(0x3f808000))); // tie → even
        Assert.Equal((ushort)0x3f82, FloatDot.ToBf16(BitConverter.UInt32BitsToSingle(0x3f818000))); // tie → even (up)
        Assert.True(float.IsNaN(FloatDot.Bf16(FloatDot.ToBf16(float.NaN))));
    }
}
