using System.Globalization;

namespace Groundwork.Ingestion.Chunking;

/// <summary>
/// How <see cref="Chunker"/> sizes chunks: at most <see cref="MaxTokens"/> tokens each, and each chunk after the first
/// in a section starts with about <see cref="OverlapFraction"/> × <see cref="MaxTokens"/> tokens of the previous one.
/// Invalid values are rejected when set, with a one-line <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed class ChunkingOptions
{
    /// <summary>The smallest accepted <see cref="MaxTokens"/>.</summary>
    public const int MinMaxTokens = 16;

    /// <summary>The largest accepted <see cref="OverlapFraction"/> (50 % of the chunk size).</summary>
    public const double MaxOverlapFraction = 0.5;

    private readonly int _maxTokens = 500;
    private readonly double _overlapFraction = 0.15;

    /// <summary>Creates options with the defaults: 500 tokens, 15 % overlap.</summary>
    public ChunkingOptions()
    {
    }

    /// <summary>Creates options with the given chunk size and overlap.</summary>
    /// <param name="maxTokens">Chunk size in tokens, at least <see cref="MinMaxTokens"/>.</param>
    /// <param name="overlapFraction">Overlap as a fraction of <paramref name="maxTokens"/>, in [0, 0.5].</param>
    public ChunkingOptions(int maxTokens, double overlapFraction)
    {
        MaxTokens = maxTokens;
        OverlapFraction = overlapFraction;
    }

    /// <summary>The defaults: 500 tokens, 15 % overlap.</summary>
    public static ChunkingOptions Default { get; } = new();

    /// <summary>The largest number of tokens in a chunk (default 500, at least 16). Only a single table row, or a single
    /// table row with the headings just above it, may exceed it.</summary>
    public int MaxTokens
    {
        get => _maxTokens;
        init
        {
            if (value < MinMaxTokens)
                throw new ArgumentOutOfRangeException(nameof(MaxTokens),
                    $"chunk size must be at least {MinMaxTokens} tokens, got {value.ToString(CultureInfo.InvariantCulture)}");
            _maxTokens = value;
        }
    }

    /// <summary>The overlap between consecutive chunks of a section, as a fraction of <see cref="MaxTokens"/>
    /// (default 0.15, between 0 and 0.5).</summary>
    public double OverlapFraction
    {
        get => _overlapFraction;
        init
        {
            if (double.IsNaN(value) || value < 0 || value > MaxOverlapFraction)
                throw new ArgumentOutOfRangeException(nameof(OverlapFraction),
                    $"overlap must be between 0% and 50% of the chunk size, got {(value * 100).ToString("0.##", CultureInfo.InvariantCulture)}%");
            _overlapFraction = value;
        }
    }

    /// <summary>The overlap target in tokens: <see cref="OverlapFraction"/> × <see cref="MaxTokens"/>, rounded down.</summary>
    public int OverlapTokens => (int)Math.Floor(OverlapFraction * MaxTokens);
}
