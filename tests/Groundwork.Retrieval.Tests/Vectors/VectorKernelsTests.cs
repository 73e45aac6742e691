using Groundwork.Retrieval.Vectors;

namespace Groundwork.Retrieval.Tests.Vectors;

public sealed unsafe class VectorKernelsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(33)]
    [InlineData(384)]
    [InlineData(391)]
    public void Int8_and_half_dots_match_scalar_references(int n)
    {
        var rng = new Random(n);
        var a = new sbyte[n];
        var b = new sbyte[n];
        for (int i = 0; i < n; i++) { a[i] = (sbyte)rng.Next(-127, 128); b[i] = (sbyte)rng.Next(-127, 128); }
        fixed (sbyte* pa = a, pb = b) Assert.Equal(VectorKernels.DotInt8Scalar(a, b), VectorKernels.DotInt8(pa, pb, n));

        var q = new float[n];
        var h = new ushort[n];
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            q[i] = (float)(rng.NextDouble() * 2 - 1);
            // Include zeros, subnormal halves and negatives.
            var half = i % 11 == 0 ? (Half)0f : i % 13 == 0 ? BitConverter.UInt16BitsToHalf(3) : (Half)(float)(rng.NextDouble() * 4 - 2);
            h[i] = BitConverter.HalfToUInt16Bits(half);
            expected += (double)(float)half * q[i];
        }
        fixed (float* pq = q)
        fixed (ushort* ph = h)
            Assert.Equal(expected, VectorKernels.DotHalf(pq, ph, n), 3);
    }
}
