using Groundwork.Evaluation.Answers;

namespace Groundwork.Evaluation.Tests.Answers;

public sealed class AnswerMetricsTests
{
    [Theory]
    [InlineData("The Eiffel Tower!", "eiffel tower")]
    [InlineData("  A  cat,   an apple and THE dog. ", "cat apple and dog")]
    [InlineData("The  Quick, brown fox\u2014an apple's.", "quick brown fox\u2014 apples")] // non-ASCII punctuation stays, as in SQuAD
    [InlineData("theatre anthem", "theatre anthem")] // articles only as whole words
    [InlineData("$1,234.5 (USD)", "12345 usd")]
    [InlineData("", "")]
    public void Normalizes_like_the_SQuAD_script(string text, string expected) =>
        Assert.Equal(expected, AnswerMetrics.Normalize(text));

    [Fact]
    public void Exact_match_takes_the_best_reference()
    {
        Assert.Equal(1.0, AnswerMetrics.ExactMatch("The Eiffel Tower.", ["Louvre", "eiffel tower"]));
        Assert.Equal(0.0, AnswerMetrics.ExactMatch("Eiffel", ["eiffel tower"]));
        Assert.Throws<ArgumentException>(() => AnswerMetrics.ExactMatch("x", []));
    }

    [Fact]
    public void Token_f1_counts_tokens_as_a_multiset_and_takes_the_best_reference()
    {
        // pred [big, red, dog] vs [red, dog]: 2 common, P 2/3, R 1.
        Assert.Equal(0.8, AnswerMetrics.TokenF1("the big red dog", ["a red dog", "cat"]), 12);
        // pred [dog, dog, dog] vs [dog, cat]: only one "dog" matches, P 1/3, R 1/2.
        Assert.Equal(2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5), AnswerMetrics.TokenF1("dog dog dog", ["dog cat"]), 12);
        Assert.Equal(0.0, AnswerMetrics.TokenF1("horse", ["dog"]));
        Assert.Equal(1.0, AnswerMetrics.TokenF1("the", ["a"])); // both normalise to nothing (SQuAD 2.0)
        Assert.Equal(0.0, AnswerMetrics.TokenF1("", ["dog"]));
    }

    [Fact]
    public void Rouge_l_uses_the_longest_common_subsequence()
    {
        // pred [cat, on, mat] vs ref [cat, lay, on, mat]: LCS 3, P 1, R 3/4.
        Assert.Equal(2 * 0.75 / 1.75, AnswerMetrics.RougeL("the cat on the mat", ["The cat lay on a mat"]), 12);
        Assert.Equal((1 + 1.44) * 0.75 / (0.75 + 1.44), AnswerMetrics.RougeL("the cat on the mat", ["The cat lay on a mat"], beta: 1.2), 12);
        // Order matters for LCS (unlike token F1): [mat, on, cat] vs [cat, on, mat] has LCS 1.
        Assert.Equal(1.0 / 3, AnswerMetrics.RougeL("mat on cat", ["cat on mat"]), 12);
        Assert.Equal(1.0, AnswerMetrics.TokenF1("mat on cat", ["cat on mat"]), 12);
        Assert.Equal(1.0, AnswerMetrics.RougeL("x y", ["q", "x y"]));
        Assert.Equal(0.0, AnswerMetrics.RougeL("", ["x"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnswerMetrics.RougeL("x", ["x"], beta: 0));
    }

    [Fact]
    public void Longest_common_subsequence_matches_a_brute_force_count()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var a = Enumerable.Range(0, random.Next(0, 8)).Select(_ => ((char)('a' + random.Next(3))).ToString()).ToArray();
            var b = Enumerable.Range(0, random.Next(0, 8)).Select(_ => ((char)('a' + random.Next(3))).ToString()).ToArray();
            Assert.Equal(BruteForceLcs(a, b), AnswerMetrics.LongestCommonSubsequence(a, b));
        }

        static int BruteForceLcs(string[] a, string[] b)
        {
            // The longest subsequence of a (by bitmask) that is also a subsequence of b.
            var best = 0;
            for (var mask = 0; mask < 1 << a.Length; mask++)
            {
                var picked = Enumerable.Range(0, a.Length).Where(i => (mask & (1 << i)) != 0).Select(i => a[i]).ToArray();
                var j = 0;
                foreach (var token in b)
                    if (j < picked.Length && picked[j] == token) j++;
                if (j == picked.Length) best = Math.Max(best, picked.Length);
            }
            return best;
        }
    }

    [Fact]
    public void Abstention_report_counts_each_outcome()
    {
        var report = AbstentionMetrics.Compute([
            (Answerable: false, Abstained: true),
            (false, false),
            (true, true),
            (true, false),
            (true, false),
        ]);

        Assert.Equal(new AbstentionReport(5, 2, 1, 1, 2), report);
        Assert.Equal(3.0 / 5, report.Accuracy, 12);
        Assert.Equal(0.5, report.AbstentionPrecision);
        Assert.Equal(0.5, report.AbstentionRecall);
        Assert.Null(AbstentionMetrics.Compute([(true, false)]).AbstentionRecall);
        Assert.Null(AbstentionMetrics.Compute([(true, false)]).AbstentionPrecision);
    }
}
