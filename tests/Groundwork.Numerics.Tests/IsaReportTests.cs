using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Numerics.Tests;

public sealed class IsaReportTests(ITestOutputHelper output)
{
    [Fact]
    public void Reports_the_active_instruction_set_path()
    {
        output.WriteLine($"integer kernels: {RowDot.ActiveIsa}");
        output.WriteLine($"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}");
        output.WriteLine($"AVX2 {Avx2.IsSupported}, AVX-VNNI {AvxVnni.IsSupported}, AVX-512BW {Avx512BW.IsSupported}, SSSE3 {Ssse3.IsSupported}");
        output.WriteLine($"MatMul.Threads {MatMul.Threads}");
        // The active path must be the widest the hardware allows (the CI disables AVX2 / AVX-512 to reach the others).
        var expected = Avx2.IsSupported ? KernelIsa.Vector256 : Vector128.IsHardwareAccelerated ? KernelIsa.Vector128 : KernelIsa.Scalar;
        Assert.Equal(expected, RowDot.ActiveIsa);
    }
}
