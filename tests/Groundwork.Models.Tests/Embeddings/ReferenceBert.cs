namespace Groundwork.Models.Tests.Embeddings;

/// <summary>
/// An independent, deliberately plain float64 BERT forward pass (post-LayerNorm, tanh-GELU, as llama.cpp's graph):
/// nested loops over the weights of a <see cref="RandomBert"/>, one sequence at a time. Shares no code with src/.
/// </summary>
internal static class ReferenceBert
{
    /// <summary>pooling: 1 mean, 2 cls, 3 last.</summary>
    public static double[] Embed(RandomBert m, int[] ids, int pooling, bool normalize)
    {
        int n = ids.Length, d = RandomBert.Dim, ff = RandomBert.Ff, heads = RandomBert.Heads, hd = d / heads;
        const double eps = 1e-12;
        var x = new double[n][];
        var tok = m.T("token_embd.weight");
        var pos = m.T("position_embd.weight");
        var typ = m.T("token_types.weight");
        for (int t = 0; t < n; t++)
        {
            x[t] = new double[d];
            for (int c = 0; c < d; c++) x[t][c] = tok[ids[t] * d + c] + pos[t * d + c] + typ[c];
            x[t] = Norm(x[t], m.T("token_embd_norm.weight"), m.T("token_embd_norm.bias"), eps);
        }

        for (int l = 0; l < RandomBert.Layers; l++)
        {
            string p = $"blk.{l}.";
            var q = new double[n][];
            var k = new double[n][];
            var v = new double[n][];
            for (int t = 0; t < n; t++)
            {
                q[t] = Linear(m, p + "attn_q", x[t], d, d);
                k[t] = Linear(m, p + "attn_k", x[t], d, d);
                v[t] = Linear(m, p + "attn_v", x[t], d, d);
            }
            var att = new double[n][];
            for (int t = 0; t < n; t++) att[t] = new double[d];
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < n; i++)
                {
                    var s = new double[n];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < n; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < hd; c++) dot += q[i][h * hd + c] * k[j][h * hd + c];
                        s[j] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                    for (int j = 0; j < n; j++)
                        for (int c = 0; c < hd; c++) att[i][h * hd + c] += s[j] / sum * v[j][h * hd + c];
                }
            }
            for (int t = 0; t < n; t++)
            {
                var o = Linear(m, p + "attn_output", att[t], d, d);
                for (int c = 0; c < d; c++) o[c] += x[t][c];
                x[t] = Norm(o, m.T(p + "attn_output_norm.weight"), m.T(p + "attn_output_norm.bias"), eps);
                var u = Linear(m, p + "ffn_up", x[t], ff, d);
                for (int c = 0; c < ff; c++)
                    u[c] = 0.5 * u[c] * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u[c] + 0.044715 * u[c] * u[c] * u[c])));
                var y = Linear(m, p + "ffn_down", u, d, ff);
                for (int c = 0; c < d; c++) y[c] += x[t][c];
                x[t] = Norm(y, m.T(p + "layer_output_norm.weight"), m.T(p + "layer_output_norm.bias"), eps);
            }
        }

        var e = new double[d];
        if (pooling == 2) Array.Copy(x[0], e, d);
        else if (pooling == 3) Array.Copy(x[n - 1], e, d);
        else
        {
            for (int t = 0; t < n; t++)
                for (int c = 0; c < d; c++) e[c] += x[t][c] / n;
        }
        if (normalize)
        {
            double norm = Math.Sqrt(e.Sum(z => z * z));
            for (int c = 0; c < d; c++) e[c] /= norm;
        }
        return e;
    }

    private static double[] Linear(RandomBert m, string name, double[] x, int rows, int cols)
    {
        var w = m.T(name + ".weight");
        var b = m.T(name + ".bias");
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = b[r];
            for (int c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    private static double[] Norm(double[] x, double[] w, double[] b, double eps)
    {
        double mean = x.Average();
        double var = x.Sum(z => (z - mean) * (z - mean)) / x.Length;
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mean) / Math.Sqrt(var + eps) * w[i] + b[i];
        return y;
    }

    public static double Cosine(ReadOnlySpan<float> a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < b.Length; i++) { dot += a[i] * b[i]; na += (double)a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }
}
