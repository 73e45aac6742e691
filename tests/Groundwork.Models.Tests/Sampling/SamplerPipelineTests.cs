using Groundwork.Models.Sampling;

namespace Groundwork.Models.Tests.Sampling;

public sealed class SamplerPipelineTests
{
    private static float[] RandomLogits(int n, int seed)
    {
        var r = new Random(seed);
        var l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float)(r.NextDouble() * 10 - 5);
        return l;
    }

    /// <summary>Samples many times and returns the set of ids drawn.</summary>
    private static HashSet<int> Drawn(SamplingOptions o, float[] logits, int draws = 2000)
    {
        var p = SamplerPipeline.Create(o, logits.Length);
        var seen = new HashSet<int>();
        for (int i = 0; i < draws; i++) seen.Add(p.Sample(logits));
        return seen;
    }

    [Fact]
    public void Greedy_is_argmax()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var logits = RandomLogits(1000, seed);
            int expected = Array.IndexOf(logits, logits.Max());
            Assert.Equal(expected, SamplerPipeline.Create(SamplingOptions.Greedy, logits.Length).Sample(logits));
            // greedy with a (neutral) penalty window goes through the candidate path and must agree
            var withPenalty = SamplingOptions.Greedy with { RepetitionPenalty = 1.0001f };
            Assert.Equal(expected, SamplerPipeline.Create(withPenalty, logits.Length).Sample(logits));
        }
    }

    [Fact]
    public void Same_seed_same_tokens_and_different_seed_differs()
    {
        var logits = new float[50]; // uniform: every draw is pure randomness
        var o = new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };
        int[] Run(SamplingOptions opts)
        {
            var p = SamplerPipeline.Create(opts, logits.Length);
            return Enumerable.Range(0, 100).Select(_ => p.Sample(logits)).ToArray();
        }

        Assert.Equal(Run(o), Run(o));
        Assert.NotEqual(Run(o), Run(o with { Seed = 43 }));
    }

    [Fact]
    public void Top_k_keeps_exactly_the_k_best()
    {
        var logits = RandomLogits(300, 7);
        var best = logits.Select((l, i) => (l, i)).OrderByDescending(t => t.l).Take(5).Select(t => t.i).ToHashSet();
        var seen = Drawn(new SamplingOptions { Temperature = 50, TopK = 5, TopP = 1, MinP = 0, Seed = 1 }, logits);
        Assert.True(seen.SetEquals(best), $"drawn {string.Join(",", seen)} expected {string.Join(",", best)}");
    }

    [Fact]
    public void Top_p_keeps_the_smallest_nucleus()
    {
        // probabilities ≈ 0.5, 0.25, 0.125, 0.0625, ... : top-p 0.7 needs the first two, 0.8 the first three
        var logits = Enumerable.Range(0, 10).Select(i => -i * MathF.Log(2)).ToArray();
        var o = new SamplingOptions { Temperature = 1, TopK = 0, MinP = 0, Seed = 3 };
        Assert.True(Drawn(o with { TopP = 0.7f }, logits).SetEquals([0, 1]));
        Assert.True(Drawn(o with { TopP = 0.8f }, logits).SetEquals([0, 1, 2]));
        Assert.True(Drawn(o with { TopP = 0.01f }, logits).SetEquals([0]));
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_fraction_of_the_top()
    {
        // probabilities relative to the top: 1, 0.5, 0.25, 0.125
        var logits = new[] { 0f, -MathF.Log(2), -2 * MathF.Log(2), -3 * MathF.Log(2) };
        var o = new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, Seed = 5 };
        Assert.True(Drawn(o with { MinP = 0.3f }, logits).SetEquals([0, 1]));
        Assert.True(Drawn(o with { MinP = 0.2f }, logits).SetEquals([0, 1, 2]));
    }

    [Fact]
    public void Temperature_sharpens_the_distribution()
    {
        var logits = new[] { 1f, 0f };
        int CountTop(float t)
        {
            var p = SamplerPipeline.Create(new SamplingOptions { Temperature = t, TopK = 0, TopP = 1, MinP = 0, Seed = 11 }, 2);
            return Enumerable.Range(0, 4000).Count(_ => p.Sample(logits) == 0);
        }

        int hot = CountTop(1f), cold = CountTop(0.25f);
        // p(top) = 0.731 at t=1 and 0.982 at t=0.25
        Assert.InRange(hot / 4000.0, 0.70, 0.76);
        Assert.InRange(cold / 4000.0, 0.97, 0.995);
    }

    [Fact]
    public void Repetition_penalty_demotes_recent_tokens()
    {
        var logits = new[] { 2.0f, 1.9f, -1f, 0.5f };
        var p = SamplerPipeline.Create(SamplingOptions.Greedy with { RepetitionPenalty = 1.1f, RepetitionLastN = 4 }, logits.Length);
        Assert.Equal(0, p.Sample(logits));
        p.Accept(0); // 2.0 / 1.1 = 1.82 < 1.9
        Assert.Equal(1, p.Sample(logits));
        p.Accept(1); // 1.9 / 1.1 = 1.727 < 1.818: token 0 wins again
        Assert.Equal(0, p.Sample(logits));
        Assert.Equal(2.0f, logits[0]); // the caller's logits are not modified
    }

    [Fact]
    public void Penalty_window_forgets_old_tokens_and_frequency_counts_occurrences()
    {
        var logits = new[] { 1.0f, 0.9f, 0.0f };
        var p = SamplerPipeline.Create(SamplingOptions.Greedy with { FrequencyPenalty = 0.06f, RepetitionLastN = 2 }, 3);
        p.Accept(0); // 1.0 - 0.06 = 0.94 > 0.9
        Assert.Equal(0, p.Sample(logits));
        p.Accept(0); // 1.0 - 0.12 = 0.88 < 0.9
        Assert.Equal(1, p.Sample(logits));
        p.Accept(2);
        p.Accept(2); // the window of 2 no longer holds token 0
        Assert.Equal(0, p.Sample(logits));
    }

    [Fact]
    public void Steps_run_in_llama_cpp_order()
    {
        var p = SamplerPipeline.Create(new SamplingOptions { RepetitionPenalty = 1.1f, Seed = 1 }, 10);
        Assert.Equal(["penalties", "top-k", "top-p", "min-p", "temperature", "dist"], p.StepNames);
        Assert.Equal(["greedy"], SamplerPipeline.Create(SamplingOptions.Greedy, 10).StepNames);
    }

    [Fact]
    public void Sampling_allocates_nothing_per_token()
    {
        var logits = RandomLogits(5000, 9);
        var p = SamplerPipeline.Create(new SamplingOptions { RepetitionPenalty = 1.1f, TopK = 0, Seed = 2 }, logits.Length);
        for (int i = 0; i < 5; i++) p.Accept(p.Sample(logits));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) p.Accept(p.Sample(logits));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_field_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SamplerPipeline.Create(new SamplingOptions { TopP = 0 }, 10));
        Assert.Equal("TopP", e.ParamName);
    }
}
