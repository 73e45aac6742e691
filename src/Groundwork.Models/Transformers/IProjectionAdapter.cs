namespace Groundwork.Models.Transformers;

/// <summary>The projections of a block an adapter may modify (order as in GGUF: attn_q … ffn_down).</summary>
public enum AdaptedProjection
{
    /// <summary>attn_q: xn[dim] → q[qDim].</summary>
    Query,
    /// <summary>attn_k: xn[dim] → k[kvDim].</summary>
    Key,
    /// <summary>attn_v: xn[dim] → v[kvDim].</summary>
    Value,
    /// <summary>attn_output: att[qDim] → [dim].</summary>
    Output,
    /// <summary>ffn_gate: xn[dim] → [ff].</summary>
    Gate,
    /// <summary>ffn_up: xn[dim] → [ff].</summary>
    Up,
    /// <summary>ffn_down: h[ff] → [dim].</summary>
    Down,
}

/// <summary>
/// A per-session hook that adds to a projection's output, e.g. a LoRA adapter's (alpha/r)·B·(A·x), without merging
/// it into the shared base weights: several sessions over one model can each use a different adapter.
/// </summary>
public interface IProjectionAdapter
{
    /// <summary>Whether <paramref name="projection"/> of block <paramref name="layer"/> is adapted (unadapted ones cost nothing).</summary>
    bool Adapts(int layer, AdaptedProjection projection);

    /// <summary>y[n, out] += Δ(x[n, in]) for n tokens (n = 1 when decoding).</summary>
    void Apply(int layer, AdaptedProjection projection, ReadOnlySpan<float> x, Span<float> y, int n);
}
