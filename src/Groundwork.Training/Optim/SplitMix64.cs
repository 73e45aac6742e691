namespace Groundwork.Training;

/// <summary>A tiny deterministic RNG whose whole state is one ulong (saved in checkpoints, unlike System.Random).</summary>
internal sealed class SplitMix64
{
    public SplitMix64(ulong state) => State = state;

    public ulong State { get; set; }

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, max).</summary>
    public int NextInt(int max) => (int)(NextDouble() * max);

    /// <summary>Fisher–Yates shuffle.</summary>
    public void Shuffle<TItem>(IList<TItem> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
