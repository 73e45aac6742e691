using System.Numerics;
using System.Numerics.Tensors;
using Groundwork.Numerics;

namespace Groundwork.Training.Model;

/// <summary>
/// The layers of the Llama-family forward and their backward passes, generic over float (training) and double (gradient
/// checks). Row-major activations [n tokens, width]; every backward accumulates (+=) into its input gradients.
/// </summary>
internal static class Layers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T C(double v) => T.CreateTruncating(v);

    /// <summary>x[n, dim] = rows of the embedding for <paramref name="tokens"/>.</summary>
    public static void EmbeddingForward(FrozenMatrix emb, ReadOnlySpan<int> tokens, Span<T> x)
    {
        int dim = emb.Cols;
        var f = new float[dim];
        for (int i = 0; i < tokens.Length; i++) emb.DequantizeRows<T>(tokens[i], 1, x.Slice(i * dim, dim), f);
    }

    /// <summary>dEmb[vocab, dim] += scatter of dx[n, dim] (only for a trainable embedding; the base one is frozen).</summary>
    public static void EmbeddingBackward(ReadOnlySpan<int> tokens, ReadOnlySpan<T> dx, Span<T> dEmb, int dim)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            var row = dEmb.Slice(tokens[i] * dim, dim);
            TensorPrimitives.Add<T>(row, dx.Slice(i * dim, dim), row);
        }
    }

    /// <summary>y = x · invRms ⊙ w per row, invRms[i] = 1/√(mean(x_i²)+eps) (kept for the backward).</summary>
    public static void RmsNormForward(ReadOnlySpan<T> x, ReadOnlySpan<T> w, T eps, Span<T> y, Span<T> invRms, int n)
    {
        int d = w.Length;
        for (int i = 0; i < n; i++)
        {
            var xi = x.Slice(i * d, d);
            var yi = y.Slice(i * d, d);
            T s = T.One / T.Sqrt(TensorPrimitives.Dot<T>(xi, xi) / T.CreateTruncating(d) + eps);
            invRms[i] = s;
            TensorPrimitives.Multiply<T>(xi, s, yi);
            TensorPrimitives.Multiply<T>(yi, w, yi);
        }
    }

    /// <summary>dx += s·(w⊙dy) − x·s³/d·Σ(x⊙w⊙dy); with <paramref name="dw"/>, dw += Σ_i dy⊙x·s.</summary>
    public static void RmsNormBackward(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> invRms, Span<T> dx, int n, Span<T> dw = default)
    {
        int d = w.Length;
        var g = new T[d];
        for (int i = 0; i < n; i++)
        {
            var xi = x.Slice(i * d, d);
            var dyi = dy.Slice(i * d, d);
            var dxi = dx.Slice(i * d, d);
            T s = invRms[i];
            TensorPrimitives.Multiply<T>(w, dyi, g);
            T dot = TensorPrimitives.Dot<T>(xi, g);
            TensorPrimitives.MultiplyAdd<T>(g, s, dxi, dxi);
            TensorPrimitives.MultiplyAdd<T>(xi, -(s * s * s * dot / T.CreateTruncating(d)), dxi, dxi);
            if (!dw.IsEmpty)
                for (int j = 0; j < d; j++) dw[j] += dyi[j] * xi[j] * s;
        }
    }

    /// <summary>
    /// Rotates each head of one token's vector [heads * headDim] for <paramref name="pos"/> (same angles as the
    /// runtime's kernels, incl. frequency factors). <paramref name="inverse"/> turns by −θ: the backward, since the
    /// rotation is orthogonal.
    /// </summary>
    public static void Rope(Span<T> v, int headCount, int headDim, int pos, float freqBase, float freqScale, float[]? factors, RopeLayout layout, bool inverse)
    {
        int half = headDim / 2;
        Span<T> cs = stackalloc T[2 * 256];
        if (half > 256) throw new NotSupportedException("head dimension above 512");
        for (int k = 0; k < half; k++)
        {
            double theta = pos * (double)freqScale * Math.Pow(freqBase, -2.0 * k / headDim);
            if (factors is not null) theta /= factors[k];
            cs[k] = T.CreateTruncating((float)Math.Cos(theta));
            float sn = (float)Math.Sin(theta);
            cs[256 + k] = T.CreateTruncating(inverse ? -sn : sn);
        }

        RotateHeads(v, headCount, headDim, cs[..half], cs.Slice(256, half), layout);
    }

    /// <summary>cos and sin [positions, headDim/2] of Rope's angles, computed once per sequence rather than per layer.</summary>
    public static (T[] Cos, T[] Sin) RopeTable(int positions, int headDim, float freqBase, float freqScale, float[]? factors)
    {
        int half = headDim / 2;
        var cos = new T[positions * half];
        var sin = new T[positions * half];
        for (int pos = 0; pos < positions; pos++)
            for (int k = 0; k < half; k++)
            {
                double theta = pos * (double)freqScale * Math.Pow(freqBase, -2.0 * k / headDim);
                if (factors is not null) theta /= factors[k];
                cos[pos * half + k] = T.CreateTruncating((float)Math.Cos(theta));
                sin[pos * half + k] = T.CreateTruncating((float)Math.Sin(theta));
            }

        return (cos, sin);
    }

    /// <summary>Rope with the angles of <paramref name="pos"/> taken from a <see cref="RopeTable"/>.</summary>
    public static void Rope(Span<T> v, int headCount, int headDim, int pos, T[] cos, T[] sin, RopeLayout layout, bool inverse)
    {
        int half = headDim / 2;
        if (!inverse)
        {
            RotateHeads(v, headCount, headDim, cos.AsSpan(pos * half, half), sin.AsSpan(pos * half, half), layout);
            return;
        }

        Span<T> ns = stackalloc T[256];
        TensorPrimitives.Negate<T>(sin.AsSpan(pos * half, half), ns[..half]);
        RotateHeads(v, headCount, headDim, cos.AsSpan(pos * half, half), ns[..half], layout);
    }

    private static void RotateHeads(Span<T> v, int headCount, int headDim, ReadOnlySpan<T> cos, ReadOnlySpan<T> sin, RopeLayout layout)
    {
        int half = headDim / 2;
        for (int h = 0; h < headCount; h++)
        {
            var x = v.Slice(h * headDim, headDim);
            for (int k = 0; k < half; k++)
            {
                int a = layout == RopeLayout.NeoX ? k : 2 * k;
                int b = layout == RopeLayout.NeoX ? k + half : 2 * k + 1;
                T x0 = x[a], x1 = x[b], c = cos[k], s = sin[k];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }

    /// <summary>
    /// Causal grouped-query attention over one packed sequence: token i attends to t in [segStart[i], i].
    /// q[n, H·hd], k/v[n, KV·hd] (after RoPE) → probs[H, n, n] (kept) and out[n, H·hd].
    /// </summary>
    public static void AttentionForward(T[] q, T[] k, T[] v, int[] segStart, int n, int heads, int kvHeads, int hd, T[] probs, T[] output)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(hd));
        if (typeof(T) == typeof(float))
        {
            AttentionForwardFloat(F(q), F(k), F(v), segStart, n, heads, kvHeads, hd, F(probs), F(output));
            return;
        }

        Parallel.For(0, heads, Threading.Options, h =>
        {
            int kvOff = h / group * hd;
            for (int i = 0; i < n; i++)
            {
                var p = probs.AsSpan((h * n + i) * n, n);
                p.Clear();
                int t0 = segStart[i];
                var s = p[t0..(i + 1)];
                var qh = q.AsSpan(i * qDim + h * hd, hd);
                for (int t = t0; t <= i; t++) s[t - t0] = TensorPrimitives.Dot<T>(qh, k.AsSpan(t * kvDim + kvOff, hd)) * scale;
                T max = TensorPrimitives.Max<T>(s);
                TensorPrimitives.Subtract<T>(s, max, s);
                TensorPrimitives.Exp<T>(s, s);
                T sum = TensorPrimitives.Sum<T>(s);
                TensorPrimitives.Multiply<T>(s, T.One / sum, s);
                var oh = output.AsSpan(i * qDim + h * hd, hd);
                oh.Clear();
                for (int t = t0; t <= i; t++) TensorPrimitives.MultiplyAdd<T>(v.AsSpan(t * kvDim + kvOff, hd), p[t], oh, oh);
            }
        });
    }

    /// <summary>Backward of <see cref="AttentionForward"/>: dq, dk, dv += from dOut. Parallel over KV heads (each owns its dk/dv slices).</summary>
    public static void AttentionBackward(T[] dOut, T[] q, T[] k, T[] v, T[] probs, int[] segStart, int n, int heads, int kvHeads, int hd, T[] dq, T[] dk, T[] dv)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(hd));
        if (typeof(T) == typeof(float))
        {
            AttentionBackwardFloat(F(dOut), F(q), F(k), F(v), F(probs), segStart, n, heads, kvHeads, hd, F(dq), F(dk), F(dv));
            return;
        }

        Parallel.For(0, kvHeads, Threading.Options, g =>
        {
            int kvOff = g * hd;
            var dp = new T[n];
            for (int h = g * group; h < (g + 1) * group; h++)
            {
                for (int i = 0; i < n; i++)
                {
                    int t0 = segStart[i];
                    var p = probs.AsSpan((h * n + i) * n, n);
                    var doh = dOut.AsSpan(i * qDim + h * hd, hd);
                    var qh = q.AsSpan(i * qDim + h * hd, hd);
                    var dqh = dq.AsSpan(i * qDim + h * hd, hd);
                    T sum = T.Zero;
                    for (int t = t0; t <= i; t++)
                    {
                        dp[t] = TensorPrimitives.Dot<T>(doh, v.AsSpan(t * kvDim + kvOff, hd));
                        sum += p[t] * dp[t];
                        var dvt = dv.AsSpan(t * kvDim + kvOff, hd);
                        TensorPrimitives.MultiplyAdd<T>(doh, p[t], dvt, dvt);
                    }

                    for (int t = t0; t <= i; t++)
                    {
                        T ds = p[t] * (dp[t] - sum) * scale;
                        TensorPrimitives.MultiplyAdd<T>(k.AsSpan(t * kvDim + kvOff, hd), ds, dqh, dqh);
                        var dkt = dk.AsSpan(t * kvDim + kvOff, hd);
                        TensorPrimitives.MultiplyAdd<T>(qh, ds, dkt, dkt);
                    }
                }
            }
        });
    }

    private static float[] F(T[] a) => (float[])(object)a;

    [ThreadStatic] private static float[]? t_scoresT, t_dp, t_kt;

    /// <summary>
    /// Float attention as products over the whole sequence per head: scores = Q·(Kᵀ) (all n × n, the causal part is
    /// kept), masked softmax per row, out = P·V. The probabilities outside [segStart[i], i] are exact zeros.
    /// </summary>
    private static void AttentionForwardFloat(float[] q, float[] k, float[] v, int[] segStart, int n, int heads, int kvHeads, int hd, float[] probs, float[] output)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        Parallel.For(0, heads, Threading.Options, h =>
        {
            int kvOff = h / group * hd;
            var p = probs.AsSpan(h * n * n, n * n);
            var kt = Groundwork.Training.Lora.Scratch.Get(ref t_kt, hd * n);
            Gemm.Transpose(k.AsSpan(kvOff), kvDim, n, hd, kt);        // Kᵀ [hd, n]: the products run along n
            p.Clear();
            Gemm.Nn(q.AsSpan(h * hd), qDim, kt, n, p, n, n, hd, n, scale);
            for (int i = 0; i < n; i++)
            {
                var row = p.Slice(i * n, n);
                int t0 = segStart[i];
                row[..t0].Clear();
                row[(i + 1)..].Clear();
                var s = row[t0..(i + 1)];
                float max = TensorPrimitives.Max(s);
                TensorPrimitives.Subtract(s, max, s);
                TensorPrimitives.Exp(s, s);
                TensorPrimitives.Multiply(s, 1f / TensorPrimitives.Sum(s), s);
                output.AsSpan(i * qDim + h * hd, hd).Clear();
            }

            Gemm.Nn(p, n, v.AsSpan(kvOff), kvDim, output.AsSpan(h * hd), qDim, n, n, hd, 1f);
        });
    }

    /// <summary>Backward of <see cref="AttentionForwardFloat"/> as products; parallel over KV heads (each owns its dk/dv columns).</summary>
    private static void AttentionBackwardFloat(float[] dOut, float[] q, float[] k, float[] v, float[] probs, int[] segStart, int n, int heads, int kvHeads, int hd, float[] dq, float[] dk, float[] dv)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        Parallel.For(0, kvHeads, Threading.Options, g =>
        {
            int kvOff = g * hd;
            var dp = Groundwork.Training.Lora.Scratch.Get(ref t_dp, n * n);
            var pt = Groundwork.Training.Lora.Scratch.Get(ref t_scoresT, n * n);
            var vt = Groundwork.Training.Lora.Scratch.Get(ref t_kt, hd * n);
            Gemm.Transpose(v.AsSpan(kvOff), kvDim, n, hd, vt);            // Vᵀ [hd, n]
            for (int h = g * group; h < (g + 1) * group; h++)
            {
                var p = probs.AsSpan(h * n * n, n * n);
                // dV += Pᵀ·dO
                Gemm.Transpose(p, n, n, pt);
                Gemm.Nn(pt, n, dOut.AsSpan(h * hd), qDim, dv.AsSpan(kvOff), kvDim, n, n, hd, 1f);
                // dP = dO·Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale (zero outside the causal range, as P is)
                dp.AsSpan(0, n * n).Clear();
                Gemm.Nn(dOut.AsSpan(h * hd), qDim, vt, n, dp, n, n, hd, n, 1f);
                for (int i = 0; i < n; i++)
                {
                    var pr = p.Slice(i * n, n);
                    var dr = dp.AsSpan(i * n, n);
                    float sum = TensorPrimitives.Dot(pr, dr);
                    TensorPrimitives.Subtract(dr, sum, dr);
                    TensorPrimitives.Multiply(dr, pr, dr);
                    TensorPrimitives.Multiply(dr, scale, dr);
                }

                // dQ += dS·K, dK += dSᵀ·Q
                Gemm.Nn(dp, n, k.AsSpan(kvOff), kvDim, dq.AsSpan(h * hd), qDim, n, n, hd, 1f);
                Gemm.Transpose(dp.AsSpan(0, n * n), n, n, pt);
                Gemm.Nn(pt, n, q.AsSpan(h * hd), qDim, dk.AsSpan(kvOff), kvDim, n, n, hd, 1f);
            }
        });
    }

    /// <summary>h = SiLU(g) ⊙ u = g·σ(g)·u.</summary>
    public static void SwiGluForward(ReadOnlySpan<T> g, ReadOnlySpan<T> u, Span<T> h)
    {
        TensorPrimitives.Sigmoid<T>(g, h);
        TensorPrimitives.Multiply<T>(h, g, h);
        TensorPrimitives.Multiply<T>(h, u, h);
    }

    /// <summary>dg += dh·u·σ(g)(1 + g(1 − σ(g))), du += dh·SiLU(g). Vectorised in chunks through a small stack buffer.</summary>
    public static void SwiGluBackward(ReadOnlySpan<T> dh, ReadOnlySpan<T> g, ReadOnlySpan<T> u, Span<T> dg, Span<T> du)
    {
        const int Chunk = 256;
        Span<T> sig = stackalloc T[Chunk];
        Span<T> t = stackalloc T[Chunk];
        for (int i0 = 0; i0 < g.Length; i0 += Chunk)
        {
            int len = Math.Min(Chunk, g.Length - i0);
            var gs = g.Slice(i0, len); var us = u.Slice(i0, len); var dhs = dh.Slice(i0, len);
            var dgs = dg.Slice(i0, len); var dus = du.Slice(i0, len);
            var sg = sig[..len]; var tt = t[..len];
            TensorPrimitives.Sigmoid<T>(gs, sg);
            // du += dh·g·σ
            TensorPrimitives.Multiply<T>(gs, sg, tt);
            TensorPrimitives.MultiplyAdd<T>(dhs, tt, dus, dus);
            // dg += dh·u·σ·(1 + g − g·σ) = dh·u·(σ + g·σ − g·σ²)
            TensorPrimitives.Subtract<T>(gs, tt, tt);          // g − gσ
            TensorPrimitives.MultiplyAdd<T>(tt, sg, sg, tt);   // σ(g − gσ) + σ
            TensorPrimitives.Multiply<T>(tt, us, tt);
            TensorPrimitives.MultiplyAdd<T>(dhs, tt, dgs, dgs);
        }
    }

    /// <summary>
    /// Cross-entropy of logits[n, vocab] against targets (−1 = not counted). Returns the summed loss (in double) and
    /// replaces the logits by dloss/dlogits · <paramref name="gradScale"/> (zero rows where not counted).
    /// </summary>
    public static double CrossEntropyForwardBackward(T[] logits, ReadOnlySpan<int> targets, int vocab, T gradScale)
    {
        double loss = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var row = logits.AsSpan(i * vocab, vocab);
            int y = targets[i];
            if (y < 0) { row.Clear(); continue; }
            T max = TensorPrimitives.Max<T>(row);
            TensorPrimitives.Subtract<T>(row, max, row);
            TensorPrimitives.Exp<T>(row, row);
            T sum = TensorPrimitives.Sum<T>(row);
            loss -= Math.Log(double.CreateTruncating(row[y] / sum));
            TensorPrimitives.Multiply<T>(row, gradScale / sum, row);
            row[y] -= gradScale;
        }

        return loss;
    }
}
