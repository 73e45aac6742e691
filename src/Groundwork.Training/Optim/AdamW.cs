using System.Numerics.Tensors;

namespace Groundwork.Training.Optim;

/// <summary>AdamW (Loshchilov &amp; Hutter): Adam moments with bias correction, weight decay decoupled from the gradient.</summary>
internal sealed class AdamW
{
    private readonly float[][] _m, _v;

    public AdamW(IReadOnlyList<int> sizes)
    {
        _m = sizes.Select(s => new float[s]).ToArray();
        _v = sizes.Select(s => new float[s]).ToArray();
    }

    public float[][] M => _m;
    public float[][] V => _v;

    /// <summary>One update of tensor <paramref name="index"/> at (1-based) step <paramref name="t"/>.</summary>
    public void Update(int index, float[] p, float[] g, int t, float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        var m = _m[index];
        var v = _v[index];
        float c1 = 1f - MathF.Pow(beta1, t), c2 = 1f - MathF.Pow(beta2, t);
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            float mh = m[i] / c1, vh = v[i] / c2;
            p[i] -= lr * (mh / (MathF.Sqrt(vh) + eps) + weightDecay * p[i]);
        }
    }

    /// <summary>‖g‖₂ over all tensors.</summary>
    public static double GlobalNorm(IEnumerable<float[]> grads)
    {
        double s = 0;
        foreach (var g in grads) s += TensorPrimitives.Dot(g, g);
        return Math.Sqrt(s);
    }
}

/// <summary>Linear warmup to the peak rate, then cosine decay to <c>minFraction</c> of it at the last step.</summary>
internal static class LearningRateSchedule
{
    public static float At(int step, int totalSteps, int warmupSteps, float peak, float minFraction)
    {
        if (warmupSteps > 0 && step < warmupSteps) return peak * (step + 1) / warmupSteps;
        int decay = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((double)(step - warmupSteps) / decay, 0, 1);
        double cos = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return (float)(peak * (minFraction + (1 - minFraction) * cos));
    }
}
