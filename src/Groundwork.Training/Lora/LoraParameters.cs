using System.Numerics;
using System.Numerics.Tensors;
using Groundwork.Training.Model;

namespace Groundwork.Training.Lora;

/// <summary>
/// One LoRA pair on a frozen projection W [out, in]: y = W·x + scale·B·(A·drop(x)), A [rank, in], B [out, rank]
/// (row-major; the same layouts as llama.cpp's lora_a ne = {in, rank} and lora_b ne = {rank, out}).
/// </summary>
internal sealed class LoraPair<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public LoraPair(int layer, LoraTarget target, int rank, int inDim, int outDim)
    {
        Layer = layer;
        Target = target;
        Rank = rank;
        In = inDim;
        Out = outDim;
        A = new T[rank * inDim];
        B = new T[outDim * rank];
        GradA = new T[A.Length];
        GradB = new T[B.Length];
    }

    public int Layer { get; }
    public LoraTarget Target { get; }
    public int Rank { get; }
    public int In { get; }
    public int Out { get; }
    public T[] A { get; }      // [rank, in]
    public T[] B { get; }      // [out, rank]
    public T[] GradA { get; }  // [rank, in]
    public T[] GradB { get; }  // [out, rank]

    [ThreadStatic] private static float[]? t_du, t_bt, t_uT, t_duT, t_dBt;

    private static float[] F(T[] a) => (float[])(object)a;

    /// <summary>u[n, rank] = xd·Aᵀ; y[n, out] += scale·u·Bᵀ.</summary>
    public void Forward(T[] xd, T[] u, T[] y, int n, T scale)
    {
        int r = Rank;
        if (typeof(T) == typeof(float))
        {
            var bt = Scratch.Get(ref t_bt, r * Out);
            Gemm.Transpose(F(B), Out, r, bt);                                            // Bᵀ [rank, out]
            Gemm.Nt(F(xd), In, F(A), In, F(u), r, n, r, In, 1f, accumulate: false);     // u = xd·Aᵀ
            Gemm.Nn(F(u), r, bt, Out, F(y), Out, n, r, Out, float.CreateTruncating(scale)); // y += s·u·Bᵀ
            return;
        }

        var tmp = new T[Out];
        for (int i = 0; i < n; i++)
        {
            var xi = xd.AsSpan(i * In, In);
            for (int j = 0; j < r; j++) u[i * r + j] = TensorPrimitives.Dot<T>(A.AsSpan(j * In, In), xi);
            var ui = u.AsSpan(i * r, r);
            for (int o = 0; o < Out; o++) tmp[o] = TensorPrimitives.Dot<T>(B.AsSpan(o * r, r), ui) * scale;
            var yi = y.AsSpan(i * Out, Out);
            TensorPrimitives.Add<T>(yi, tmp, yi);
        }
    }

    /// <summary>dB += scale·dyᵀu; du = scale·dy·B; dA += duᵀ·xd; dxd[n, in] += du·A (caller applies the dropout mask).</summary>
    public void Backward(T[] dy, T[] xd, T[] u, T[] dxd, int n, T scale)
    {
        int r = Rank;
        if (typeof(T) == typeof(float))
        {
            // Every product is arranged so the long dimension (in, out or n) is the vectorised one.
            float s = float.CreateTruncating(scale);
            var bt = Scratch.Get(ref t_bt, r * Out);
            Gemm.Transpose(F(B), Out, r, bt);                                               // Bᵀ [rank, out]
            var dU = Scratch.Get(ref t_du, n * r);
            Gemm.Nt(F(dy), Out, bt, Out, dU, r, n, r, Out, s, accumulate: false);          // du = s·dy·B
            var uT = Scratch.Get(ref t_uT, r * n);
            Gemm.Transpose(F(u).AsSpan(0, n * r), n, r, uT);
            var dBt = Scratch.Get(ref t_dBt, r * Out);
            dBt.AsSpan(0, r * Out).Clear();
            Gemm.Nn(uT, n, F(dy), Out, dBt, Out, r, n, Out, s);                            // dBᵀ = s·uᵀ·dy
            var gb = F(GradB);
            for (int o = 0; o < Out; o++)
                for (int j = 0; j < r; j++) gb[o * r + j] += dBt[j * Out + o];
            var duT = Scratch.Get(ref t_duT, r * n);
            Gemm.Transpose(dU.AsSpan(0, n * r), n, r, duT);
            Gemm.Nn(duT, n, F(xd), In, F(GradA), In, r, n, In, 1f);                        // dA += duᵀ·xd
            Gemm.Nn(dU, r, F(A), In, F(dxd), In, n, r, In, 1f);                            // dxd += du·A
            return;
        }

        var du = new T[r];
        for (int i = 0; i < n; i++)
        {
            var dyi = dy.AsSpan(i * Out, Out);
            var ui = u.AsSpan(i * r, r);
            du.AsSpan().Clear();
            for (int o = 0; o < Out; o++)
            {
                T g = dyi[o] * scale;
                if (g == T.Zero) continue;
                var gb = GradB.AsSpan(o * r, r);
                TensorPrimitives.MultiplyAdd<T>(ui, g, gb, gb);
                TensorPrimitives.MultiplyAdd<T>(B.AsSpan(o * r, r), g, du, du);
            }

            var xi = xd.AsSpan(i * In, In);
            var dxi = dxd.AsSpan(i * In, In);
            for (int j = 0; j < r; j++)
            {
                var ga = GradA.AsSpan(j * In, In);
                TensorPrimitives.MultiplyAdd<T>(xi, du[j], ga, ga);
                TensorPrimitives.MultiplyAdd<T>(A.AsSpan(j * In, In), du[j], dxi, dxi);
            }
        }
    }
}

/// <summary>Grow-only scratch arrays (the backward's temporaries, reused across calls).</summary>
internal static class Scratch
{
    public static float[] Get(ref float[]? slot, int length) => slot is { } a && a.Length >= length ? a : (slot = new float[length]);
}

/// <summary>All LoRA pairs of a model: pair (layer, target) or null where the target is not adapted.</summary>
internal sealed class LoraParameters<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public LoraParameters(int rank, float alpha, IReadOnlyList<LoraPair<T>> pairs, int layerCount)
    {
        Rank = rank;
        Alpha = alpha;
        Pairs = pairs;
        ByLayer = new LoraPair<T>?[layerCount, LoraTargetNames.All.Length];
        foreach (var p in pairs) ByLayer[p.Layer, (int)p.Target] = p;
    }

    public int Rank { get; }
    public float Alpha { get; }
    public T Scale => T.CreateTruncating(Alpha / Rank);
    public IReadOnlyList<LoraPair<T>> Pairs { get; }
    public LoraPair<T>?[,] ByLayer { get; }

    public long ParameterCount => Pairs.Sum(p => (long)p.A.Length + p.B.Length);

    public static LoraParameters<T> Create(BaseWeights w, int rank, float alpha, IEnumerable<LoraTarget> targets)
    {
        var list = new List<LoraPair<T>>();
        var set = targets.Distinct().Order().ToArray();
        for (int l = 0; l < w.Config.LayerCount; l++)
            foreach (var t in set)
            {
                var (o, i) = w.Shape(t);
                list.Add(new LoraPair<T>(l, t, rank, i, o));
            }

        return new LoraParameters<T>(rank, alpha, list, w.Config.LayerCount);
    }

    /// <summary>LoRA-paper init: A ~ Kaiming-uniform(a = √5) i.e. U(−1/√in, 1/√in) as PEFT does, B = 0.</summary>
    public void Initialize(ulong seed)
    {
        var rng = new SplitMix64(seed);
        foreach (var p in Pairs)
        {
            double bound = 1.0 / Math.Sqrt(p.In);
            for (int i = 0; i < p.A.Length; i++) p.A[i] = T.CreateTruncating((rng.NextDouble() * 2 - 1) * bound);
            Array.Clear(p.B);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in Pairs)
        {
            Array.Clear(p.GradA);
            Array.Clear(p.GradB);
        }
    }

    /// <summary>A copy in another precision (for gradient checks and exporting).</summary>
    public LoraParameters<TOther> Convert<TOther>() where TOther : unmanaged, IFloatingPointIeee754<TOther>
    {
        var pairs = Pairs.Select(p =>
        {
            var q = new LoraPair<TOther>(p.Layer, p.Target, p.Rank, p.In, p.Out);
            for (int i = 0; i < p.A.Length; i++) q.A[i] = TOther.CreateTruncating(p.A[i]);
            for (int i = 0; i < p.B.Length; i++) q.B[i] = TOther.CreateTruncating(p.B[i]);
            return q;
        }).ToList();
        return new LoraParameters<TOther>(Rank, Alpha, pairs, ByLayer.GetLength(0));
    }
}
