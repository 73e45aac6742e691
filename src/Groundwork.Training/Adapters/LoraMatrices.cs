namespace Groundwork.Training;

/// <summary>One adapted projection's LoRA matrices, for <see cref="LoraAdapter.Create"/>.</summary>
/// <param name="TensorName">The GGUF base tensor, e.g. "blk.0.attn_q.weight".</param>
/// <param name="A">A [rank, in], row-major (llama.cpp's lora_a, ne = {in, rank}).</param>
/// <param name="B">B [out, rank], row-major (llama.cpp's lora_b, ne = {rank, out}).</param>
public sealed record LoraMatrices(string TensorName, float[] A, float[] B);
