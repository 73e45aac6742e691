using Groundwork.Models.Sampling;

namespace Groundwork.Models.Transformers;

/// <summary>Options for <see cref="TextGenerator.GenerateAsync(string, GenerationOptions?, CancellationToken)"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate (end-of-generation tokens are not counted).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>How tokens are chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Text that ends generation; the returned text stops just before it.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Whether to put BOS before a text prompt; null follows the tokenizer's <c>add_bos_token</c>.</summary>
    public bool? AddBos { get; init; }

    /// <summary>Whether special-token text in a text prompt (e.g. <c>&lt;|im_start|&gt;</c>) becomes special tokens.</summary>
    public bool ParseSpecial { get; init; } = true;

    /// <summary>Whether to keep the part of the KV cache that matches the start of the new prompt.</summary>
    public bool ReusePrefix { get; init; } = true;
}

/// <summary>Why generation ended.</summary>
public enum GenerationFinishReason
{
    /// <summary>Generation has not finished (no generation ran yet).</summary>
    None,

    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfText,

    /// <summary>A stop sequence appeared.</summary>
    StopSequence,

    /// <summary><see cref="GenerationOptions.MaxTokens"/> tokens were generated.</summary>
    MaxTokens,

    /// <summary>The session's context is full.</summary>
    ContextFull,
}

/// <summary>One step of streamed output.</summary>
/// <param name="TokenId">The generated token, or -1 for the final item that flushes held-back text.</param>
/// <param name="Text">The new text; may be empty while bytes of a UTF-8 character or a possible stop sequence are held back.</param>
public readonly record struct GeneratedToken(int TokenId, string Text);

/// <summary>Counts and timings of one generation.</summary>
/// <param name="PromptTokens">Prompt tokens (including BOS).</param>
/// <param name="CachedPromptTokens">Prompt tokens whose KV entries were reused from the session.</param>
/// <param name="GeneratedTokens">Tokens generated (end-of-generation tokens excluded).</param>
/// <param name="PromptSeconds">Time to process the prompt.</param>
/// <param name="GenerationSeconds">Time from the first generated token to the end.</param>
/// <param name="FinishReason">Why generation ended.</param>
public sealed record GenerationStats(
    int PromptTokens,
    int CachedPromptTokens,
    int GeneratedTokens,
    double PromptSeconds,
    double GenerationSeconds,
    GenerationFinishReason FinishReason)
{
    /// <summary>Prompt tokens processed per second (cached tokens excluded).</summary>
    public double PromptTokensPerSecond => PromptSeconds > 0 ? (PromptTokens - CachedPromptTokens) / PromptSeconds : 0;

    /// <summary>Generated tokens per second.</summary>
    public double GenerationTokensPerSecond => GenerationSeconds > 0 ? GeneratedTokens / GenerationSeconds : 0;
}
