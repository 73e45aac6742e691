using System.Numerics;
using System.Numerics.Tensors;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Training.Model;

/// <summary>
/// A frozen base weight [Rows out, Cols in] in the mapped GGUF file (any type the runtime reads). Products dequantize
/// row blocks into a reused per-thread scratch buffer (about 256 KiB, sized to stay in L2), so no whole dequantized
/// matrix is ever held. Float products run on the register-blocked <see cref="Gemm"/> kernels over the whole sequence;
/// other precisions (the float64 gradient checks) on the plain reference loops.
/// </summary>
internal sealed class FrozenMatrix
{
    private const int ScratchFloats = 65536;
    private readonly QuantizedMatrix _m;

    public FrozenMatrix(string name, QuantizedMatrix m)
    {
        Name = name;
        _m = m;
    }

    /// <summary>The GGUF tensor name (e.g. blk.0.attn_q.weight).</summary>
    public string Name { get; }

    public int Rows => _m.Rows;

    public int Cols => _m.Cols;

    public GgmlType Type => _m.Type;

    private int BlockRows => Math.Max(4, ScratchFloats / Cols / 4 * 4); // whole 4-row tiles of the kernel

    /// <summary>Dequantizes rows [r0, r0+count) into <paramref name="dst"/>[count, Cols] as T.</summary>
    public void DequantizeRows<T>(int r0, int count, Span<T> dst, Span<float> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < count; r++)
        {
            var f = scratch[..Cols];
            QuantizedOps.Dequantize(_m.Type, _m.Row(r0 + r), f);
            var d = dst.Slice(r * Cols, Cols);
            if (typeof(T) == typeof(float)) f.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(d));
            else TensorPrimitives.ConvertChecked<float, T>(f, d);
        }
    }

    /// <summary>y[n, Rows] = x[n, Cols] · Wᵀ (overwrites y). Parallel over row blocks.</summary>
    public void Forward<T>(T[] x, T[] y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Rows, cols = Cols, block = BlockRows;
        int blocks = (rows + block - 1) / block;
        Parallel.For(0, blocks, Threading.Options, b =>
        {
            int r0 = b * block, count = Math.Min(block, rows - r0);
            var w = Scratch<T>.Weights(block * cols);
            DequantizeRows<T>(r0, count, w, Scratch<float>.Row(cols));
            if (typeof(T) == typeof(float))
            {
                // x·Wᵀ as dot products of rows (no transposes; measured faster here than yᵀ = W·xᵀ with the
                // transposes it needs, which do not parallelise).
                Gemm.Nt(AsFloat(x), cols, AsFloat(w), cols, AsFloat(y).AsSpan(r0), rows, n, count, cols, 1f, accumulate: false);
                return;
            }

            for (int i = 0; i < n; i++)
            {
                var xi = x.AsSpan(i * cols, cols);
                for (int r = 0; r < count; r++) y[i * rows + r0 + r] = TensorPrimitives.Dot<T>(xi, w.AsSpan(r * cols, cols));
            }
        });
    }

    private static float[] AsFloat<T>(T[] a) => (float[])(object)a;

    /// <summary>dx[n, Cols] += dy[n, Rows] · W. Parallel over token chunks (each dequantizes the blocks it walks).</summary>
    public void BackwardInput<T>(T[] dy, T[] dx, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Rows, cols = Cols, block = BlockRows;
        int chunks = Math.Clamp(n / 4, 1, Threading.Count);
        int per = (n + chunks - 1) / chunks;
        Parallel.For(0, chunks, Threading.Options, c =>
        {
            int i0 = c * per, i1 = Math.Min(n, i0 + per);
            if (i0 >= i1) return;
            var w = Scratch<T>.Weights(block * cols);
            var f = Scratch<float>.Row(cols);
            for (int r0 = 0; r0 < rows; r0 += block)
            {
                int count = Math.Min(block, rows - r0);
                DequantizeRows<T>(r0, count, w, f);
                if (typeof(T) == typeof(float))
                {
                    Gemm.Nn(AsFloat(dy).AsSpan(i0 * rows + r0), rows, AsFloat(w), cols, AsFloat(dx).AsSpan(i0 * cols), cols, i1 - i0, count, cols, 1f);
                    continue;
                }

                for (int i = i0; i < i1; i++)
                {
                    var dxi = dx.AsSpan(i * cols, cols);
                    for (int r = 0; r < count; r++)
                    {
                        T g = dy[i * rows + r0 + r];
                        if (g != T.Zero) TensorPrimitives.MultiplyAdd<T>(w.AsSpan(r * cols, cols), g, dxi, dxi);
                    }
                }
            }
        });
    }
}

/// <summary>The worker count of the training step: the runtime's <see cref="Groundwork.Numerics.MatMul.Threads"/> setting.</summary>
internal static class Threading
{
    public static int Count => Groundwork.Numerics.MatMul.Threads;

    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = Count };
}

/// <summary>Per-thread dequantization buffers, reused across calls (one weight block and one float row per thread).</summary>
internal static class Scratch<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? t_weights;
    [ThreadStatic] private static T[]? t_row;

    public static T[] Weights(int length) => t_weights is { } a && a.Length >= length ? a : (t_weights = new T[length]);

    public static T[] Row(int length) => t_row is { } a && a.Length >= length ? a : (t_row = new T[length]);
}
