namespace Groundwork.Training.Data;

/// <summary>One tokenized example: the tokens and which of them the loss counts (true = a response token to learn).</summary>
/// <param name="Tokens">Token ids.</param>
/// <param name="LossMask">Same length as <paramref name="Tokens"/>; predicting token i counts only where LossMask[i].</param>
public sealed record TrainingExample(int[] Tokens, bool[] LossMask)
{
    /// <summary>Tokens whose prediction the loss counts.</summary>
    public int CountedTokens => LossMask.Skip(1).Count(m => m);
}

/// <summary>A packed sequence: several examples back to back, attention and positions restarting per example.</summary>
internal sealed record PackedSequence(int[] Tokens, int[] SegmentStart, int[] Targets)
{
    public int Counted => Targets.Count(t => t >= 0);

    /// <summary>
    /// Packs examples in order into sequences of at most <paramref name="maxLen"/> tokens (an example longer than that
    /// is truncated). Target i is token i+1 of the same example where its mask is set, else −1.
    /// </summary>
    public static List<PackedSequence> Pack(IEnumerable<TrainingExample> examples, int maxLen, bool pack = true)
    {
        var result = new List<PackedSequence>();
        var tok = new List<int>(); var seg = new List<int>(); var tgt = new List<int>();
        void Flush()
        {
            if (tok.Count == 0) return;
            result.Add(new PackedSequence(tok.ToArray(), seg.ToArray(), tgt.ToArray()));
            tok.Clear(); seg.Clear(); tgt.Clear();
        }

        foreach (var e in examples)
        {
            int len = Math.Min(e.Tokens.Length, maxLen);
            if (len < 2) continue;
            if (!pack || tok.Count + len > maxLen) Flush();
            int start = tok.Count;
            for (int i = 0; i < len; i++)
            {
                tok.Add(e.Tokens[i]);
                seg.Add(start);
                tgt.Add(i + 1 < len && e.LossMask[i + 1] ? e.Tokens[i + 1] : -1);
            }
        }

        Flush();
        return result;
    }
}
