using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Groundwork.Training.Model;

/// <summary>
/// Float32 matrix products for the training step, register-blocked on <see cref="Vector512{T}"/> (4 × 4 tiles of
/// 16 accumulators). Row-major with leading dimensions; every output element is produced by one fixed sequence of
/// operations, so results do not depend on threading. <see cref="NtReference"/> and <see cref="NnReference"/> are the
/// scalar references the tests compare against.
/// </summary>
internal static unsafe class Gemm
{
    private const int V = 16;   // floats per Vector512
    private const int KC = 128; // depth chunk of Nn: a 64-column panel of b is 32 KiB, within L1

    /// <summary>
    /// y[i, r] = (accumulate ? y[i, r] : 0) + alpha · Σ_c x[i, c]·w[r, c] for i &lt; n, r &lt; rows (x·wᵀ; both
    /// operands read along their rows).
    /// </summary>
    public static void Nt(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> w, int ldw, Span<float> y, int ldy, int n, int rows, int cols, float alpha, bool accumulate)
    {
        if (n == 0 || rows == 0) return;
        CheckSpan(x.Length, n, ldx, cols);
        CheckSpan(w.Length, rows, ldw, cols);
        CheckSpan(y.Length, n, ldy, rows);
        fixed (float* xp = x, wp = w, yp = y)
        {
            int n4 = n & ~3, r4 = rows & ~3;
            for (int i = 0; i < n4; i += 4)
            {
                for (int r = 0; r < r4; r += 4) Nt4x4(xp + (long)i * ldx, ldx, wp + (long)r * ldw, ldw, yp + (long)i * ldy + r, ldy, cols, alpha, accumulate);
                for (int r = r4; r < rows; r++)
                    for (int k = 0; k < 4; k++) Store(yp + (long)(i + k) * ldy + r, Dot(xp + (long)(i + k) * ldx, wp + (long)r * ldw, cols), alpha, accumulate);
            }

            for (int i = n4; i < n; i++)
                for (int r = 0; r < rows; r++) Store(yp + (long)i * ldy + r, Dot(xp + (long)i * ldx, wp + (long)r * ldw, cols), alpha, accumulate);
        }
    }

    /// <summary>c[i, j] += alpha · Σ_k a[i, k]·b[k, j] for i &lt; n, j &lt; m, k &lt; depth (a·b).</summary>
    public static void Nn(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int n, int depth, int m, float alpha)
    {
        if (n == 0 || m == 0 || depth == 0) return;
        CheckSpan(a.Length, n, lda, depth);
        CheckSpan(b.Length, depth, ldb, m);
        CheckSpan(c.Length, n, ldc, m);
        fixed (float* ap = a, bp = b, cp = c)
        {
            int n4 = n & ~3, m64 = m / (4 * V) * (4 * V), m16 = m / V * V;
            // Full 4 × 64 tiles: depth in chunks of KC and, per chunk, one 64-column panel of b (KC × 256 bytes) kept in
            // L1 while every 4-row tile of a passes over it.
            for (int k0 = 0; k0 < depth; k0 += KC)
            {
                int kc = Math.Min(KC, depth - k0);
                for (int j = 0; j < m64; j += 4 * V)
                    for (int i = 0; i < n4; i += 4)
                        Nn4x64(ap + (long)i * lda + k0, lda, bp + (long)k0 * ldb + j, ldb, cp + (long)i * ldc + j, ldc, kc, alpha);
            }

            // The rest: rows past the last full tile (all columns), then columns past the last full panel.
            for (int i = n4; i < n; i++)
                for (int j = 0; j < m64; j += V) Nn1x16(ap + (long)i * lda, bp + j, ldb, cp + (long)i * ldc + j, depth, alpha);
            for (int i = 0; i < n; i++)
            {
                for (int j = m64; j < m16; j += V) Nn1x16(ap + (long)i * lda, bp + j, ldb, cp + (long)i * ldc + j, depth, alpha);
                for (int j = m16; j < m; j++)
                {
                    float s = 0;
                    for (int k = 0; k < depth; k++) s += ap[(long)i * lda + k] * bp[(long)k * ldb + j];
                    cp[(long)i * ldc + j] += alpha * s;
                }
            }
        }
    }

    /// <summary>dst[c, r] = src[r, c] (rows × cols → cols × rows).</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst) => Transpose(src, cols, rows, cols, dst);

    /// <summary>dst[c, r] = src[r·ld + c] (a rows × cols window with row stride <paramref name="ld"/> → dense cols × rows).</summary>
    public static void Transpose(ReadOnlySpan<float> src, int ld, int rows, int cols, Span<float> dst)
    {
        const int B = 32;
        for (int r0 = 0; r0 < rows; r0 += B)
            for (int c0 = 0; c0 < cols; c0 += B)
            {
                int r1 = Math.Min(rows, r0 + B), c1 = Math.Min(cols, c0 + B);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * ld + c];
            }
    }

    /// <summary>Scalar reference of <see cref="Nt"/>.</summary>
    public static void NtReference(ReadOnlySpan<float> x, int ldx, ReadOnlySpan<float> w, int ldw, Span<float> y, int ldy, int n, int rows, int cols, float alpha, bool accumulate)
    {
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++)
            {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double)x[i * ldx + c] * w[r * ldw + c];
                y[i * ldy + r] = (accumulate ? y[i * ldy + r] : 0) + alpha * (float)s;
            }
    }

    /// <summary>Scalar reference of <see cref="Nn"/>.</summary>
    public static void NnReference(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int n, int depth, int m, float alpha)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < depth; k++) s += (double)a[i * lda + k] * b[k * ldb + j];
                c[i * ldc + j] += alpha * (float)s;
            }
    }

    private static void CheckSpan(int length, int rows, int ld, int cols)
    {
        if (ld < cols || (long)(rows - 1) * ld + cols > length) throw new ArgumentException($"span of {length} floats is too short for {rows} × {cols} with stride {ld}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, float v, float alpha, bool accumulate) => *y = accumulate ? *y + alpha * v : alpha * v;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* a, float* b, int cols)
    {
        var acc = Vector512<float>.Zero;
        int c = 0;
        for (; c + V <= cols; c += V) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + c), Vector512.Load(b + c), acc);
        float s = Vector512.Sum(acc);
        for (; c < cols; c++) s = MathF.FusedMultiplyAdd(a[c], b[c], s);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Nt4x4(float* x, int ldx, float* w, int ldw, float* y, int ldy, int cols, float alpha, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        float* x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx;
        float* w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw;
        int c = 0;
        for (; c + V <= cols; c += V)
        {
            var b0 = Vector512.Load(w0 + c);
            var b1 = Vector512.Load(w1 + c);
            var b2 = Vector512.Load(w2 + c);
            var b3 = Vector512.Load(w3 + c);
            var v = Vector512.Load(x0 + c);
            a00 = Vector512.FusedMultiplyAdd(v, b0, a00); a01 = Vector512.FusedMultiplyAdd(v, b1, a01);
            a02 = Vector512.FusedMultiplyAdd(v, b2, a02); a03 = Vector512.FusedMultiplyAdd(v, b3, a03);
            v = Vector512.Load(x1 + c);
            a10 = Vector512.FusedMultiplyAdd(v, b0, a10); a11 = Vector512.FusedMultiplyAdd(v, b1, a11);
            a12 = Vector512.FusedMultiplyAdd(v, b2, a12); a13 = Vector512.FusedMultiplyAdd(v, b3, a13);
            v = Vector512.Load(x2 + c);
            a20 = Vector512.FusedMultiplyAdd(v, b0, a20); a21 = Vector512.FusedMultiplyAdd(v, b1, a21);
            a22 = Vector512.FusedMultiplyAdd(v, b2, a22); a23 = Vector512.FusedMultiplyAdd(v, b3, a23);
            v = Vector512.Load(x3 + c);
            a30 = Vector512.FusedMultiplyAdd(v, b0, a30); a31 = Vector512.FusedMultiplyAdd(v, b1, a31);
            a32 = Vector512.FusedMultiplyAdd(v, b2, a32); a33 = Vector512.FusedMultiplyAdd(v, b3, a33);
        }

        float* s = stackalloc float[16];
        s[0] = Vector512.Sum(a00); s[1] = Vector512.Sum(a01); s[2] = Vector512.Sum(a02); s[3] = Vector512.Sum(a03);
        s[4] = Vector512.Sum(a10); s[5] = Vector512.Sum(a11); s[6] = Vector512.Sum(a12); s[7] = Vector512.Sum(a13);
        s[8] = Vector512.Sum(a20); s[9] = Vector512.Sum(a21); s[10] = Vector512.Sum(a22); s[11] = Vector512.Sum(a23);
        s[12] = Vector512.Sum(a30); s[13] = Vector512.Sum(a31); s[14] = Vector512.Sum(a32); s[15] = Vector512.Sum(a33);
        for (int i = 0; i < 4; i++)
        {
            float* xi = x + i * ldx;
            for (int r = 0; r < 4; r++)
            {
                float v = s[i * 4 + r];
                float* wr = w + r * ldw;
                for (int t = c; t < cols; t++) v = MathF.FusedMultiplyAdd(xi[t], wr[t], v);
                Store(y + (long)i * ldy + r, v, alpha, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Nn4x64(float* a, int lda, float* b, int ldb, float* c, int ldc, int depth, float alpha)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        for (int k = 0; k < depth; k++)
        {
            float* bk = b + (long)k * ldb;
            var b0 = Vector512.Load(bk);
            var b1 = Vector512.Load(bk + V);
            var b2 = Vector512.Load(bk + 2 * V);
            var b3 = Vector512.Load(bk + 3 * V);
            var v = Vector512.Create(a0[k]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(v, b2, c02); c03 = Vector512.FusedMultiplyAdd(v, b3, c03);
            v = Vector512.Create(a1[k]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(v, b2, c12); c13 = Vector512.FusedMultiplyAdd(v, b3, c13);
            v = Vector512.Create(a2[k]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(v, b2, c22); c23 = Vector512.FusedMultiplyAdd(v, b3, c23);
            v = Vector512.Create(a3[k]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(v, b2, c32); c33 = Vector512.FusedMultiplyAdd(v, b3, c33);
        }

        var al = Vector512.Create(alpha);
        AddScaled(c, c00, c01, c02, c03, al);
        AddScaled(c + ldc, c10, c11, c12, c13, al);
        AddScaled(c + 2 * ldc, c20, c21, c22, c23, al);
        AddScaled(c + 3 * ldc, c30, c31, c32, c33, al);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> alpha)
    {
        Vector512.FusedMultiplyAdd(v0, alpha, Vector512.Load(c)).Store(c);
        Vector512.FusedMultiplyAdd(v1, alpha, Vector512.Load(c + V)).Store(c + V);
        Vector512.FusedMultiplyAdd(v2, alpha, Vector512.Load(c + 2 * V)).Store(c + 2 * V);
        Vector512.FusedMultiplyAdd(v3, alpha, Vector512.Load(c + 3 * V)).Store(c + 3 * V);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Nn1x16(float* a, float* b, int ldb, float* c, int depth, float alpha)
    {
        var acc = Vector512<float>.Zero;
        for (int k = 0; k < depth; k++) acc = Vector512.FusedMultiplyAdd(Vector512.Create(a[k]), Vector512.Load(b + (long)k * ldb), acc);
        Vector512.FusedMultiplyAdd(acc, Vector512.Create(alpha), Vector512.Load(c)).Store(c);
    }
}
