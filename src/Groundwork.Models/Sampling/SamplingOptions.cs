namespace Groundwork.Models.Sampling;

/// <summary>
/// How the next token is chosen from the logits. Steps run in llama.cpp's order: penalties → top-k → top-p → min-p →
/// temperature → draw. Defaults follow llama.cpp (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalty).
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the highest-scoring token (after penalties).</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Softmax temperature; 0 (or less) means greedy.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the K most likely tokens; 0 or less disables.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest set whose probability reaches P (nucleus); 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens whose probability is below MinP × the top probability; 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive (multiplies negative) logits of recently seen tokens; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Subtracted from a recent token's logit once per occurrence (OpenAI-style); 0 disables.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted once from the logit of any recent token (OpenAI-style); 0 disables.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>How many of the most recent tokens the penalties look at.</summary>
    public int RepetitionLastN { get; init; } = 64;

    /// <summary>Random seed for reproducible draws; null seeds from the system.</summary>
    public int? Seed { get; init; }

    /// <summary>Whether any penalty is active.</summary>
    public bool HasPenalties => RepetitionLastN > 0 && (RepetitionPenalty != 1f || FrequencyPenalty != 0f || PresencePenalty != 0f);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be finite");
        if (!(TopP is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "must be in (0, 1]");
        if (!(MinP is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "must be in [0, 1]");
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "must be positive");
        if (!float.IsFinite(FrequencyPenalty)) throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "must be finite");
        if (!float.IsFinite(PresencePenalty)) throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "must be finite");
        if (RepetitionLastN < 0) throw new ArgumentOutOfRangeException(nameof(RepetitionLastN), RepetitionLastN, "must not be negative");
    }
}
