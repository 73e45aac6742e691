using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Transformers;

/// <summary>
/// A read-only view of a 2-D weight inside the mapped GGUF file: <c>Rows</c> output features × <c>Cols</c> input
/// features, row-major in ggml block layout. Never copied; products go through <see cref="MatMul"/>.
/// </summary>
internal readonly unsafe struct WeightMatrix
{
    public readonly QuantizedMatrix M;

    public WeightMatrix(GgmlType type, byte* data, int rows, int cols) => M = new QuantizedMatrix(type, data, rows, cols);

    public GgmlType Type => M.Type;

    public int Rows => M.Rows;

    public int Cols => M.Cols;

    /// <summary>y[Rows] = W · x[Cols].</summary>
    public void MatVec(ReadOnlySpan<float> x, Span<float> y) => MatMul.MatVec(in M, x, y);

    /// <summary>y[Rows] = W · x (vector 0 of prepared activations, shared by several matrices).</summary>
    public void MatVec(PreparedActivations x, Span<float> y) => MatMul.MatVec(in M, x, y);

    /// <summary>y[n, Rows] = x[n, Cols] · Wᵀ for the n prepared activation vectors.</summary>
    public void MatMulBatch(PreparedActivations x, Span<float> y) => MatMul.MatMulBatch(in M, x, y);

    /// <summary>y[n, Rows] = x[n, Cols] · Wᵀ.</summary>
    public void MatMulBatch(ReadOnlySpan<float> x, Span<float> y, int n) => MatMul.MatMulBatch(in M, x, y, n);

    /// <summary>Dequantizes one row (e.g. a token embedding) into <paramref name="dst"/>[Cols].</summary>
    public void DequantizeRow(int row, Span<float> dst) => QuantizedOps.Dequantize(M.Type, M.Row(row), dst[..M.Cols]);
}
