namespace Groundwork.Numerics;

/// <summary>Which elements of a head RoPE rotates together.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1), as llama uses.</summary>
    Normal = 0,

    /// <summary>Pairs (i, i + headDim/2), as GPT-NeoX and qwen2 use.</summary>
    NeoX = 2,
}
