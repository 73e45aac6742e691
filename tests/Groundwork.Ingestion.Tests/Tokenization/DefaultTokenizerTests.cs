using System.Globalization;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Testing;

namespace Groundwork.Ingestion.Tests.Tokenization;

public sealed class DefaultTokenizerTests
{
    private static readonly DefaultTokenizer Tok = DefaultTokenizer.Instance;

    [Theory]
    [InlineData("", 0)]
    [InlineData("Hi", 1)]
    [InlineData("Hello", 2)]                 // 5 letters: 1 for the first 4, 1 more
    [InlineData("Hi there", 3)]              // " there" folds its space
    [InlineData(" Hi", 1)]
    [InlineData("Hi, you!", 4)]
    [InlineData("internationalization", 5)]  // 20 letters: 1 for the first 4, then 16 / 4
    [InlineData("abcd", 1)]
    [InlineData("abcde", 2)]
    [InlineData("1234567", 3)]               // digits in groups of 3
    [InlineData("3.14", 3)]
    [InlineData("```", 2)]                   // punctuation runs: 1 per 2 characters
    [InlineData("-->", 2)]
    [InlineData("我想在", 3)]                  // one per CJK character
    [InlineData("🦙", 1)]                      // a surrogate pair is one character
    [InlineData("café", 2)]                   // "caf" + "é"
    [InlineData("a  b", 3)]                   // two spaces are not folded
    [InlineData("a\n\nb", 3)]
    [InlineData("        x", 3)]              // 8 spaces: 2 tokens
    [InlineData("word ", 2)]                  // a trailing space is a token
    public void Counts_follow_the_documented_rules(string text, int expected)
        => Assert.Equal(expected, Tok.CountTokens(text));

    [Fact]
    public void Counts_are_additive_over_single_spaces_and_encode_agrees_with_count()
    {
        var rng = new Random(11);
        string[] words = ["the", "Quick", "brown-fox", "2024", "e.g.", "naïve", "東京", "🦙🦙", "internationalization", "x", "\"q\""];
        var ids = new List<int>();
        for (int trial = 0; trial < 500; trial++)
        {
            var parts = Enumerable.Range(0, rng.Next(1, 12)).Select(_ => words[rng.Next(words.Length)]).ToArray();
            var text = string.Join(' ', parts);
            Assert.Equal(parts.Sum(p => Tok.CountTokens(p)), Tok.CountTokens(text));
            ids.Clear();
            Tok.Encode(text, ids);
            Assert.Equal(Tok.CountTokens(text), ids.Count);
            Assert.All(ids, id => Assert.True(id >= 0));
        }
    }

    [Fact]
    public void Ids_are_stable_per_piece()
    {
        var a = new List<int>();
        var b = new List<int>();
        Tok.Encode("Hi you", a);
        Tok.Encode("you Hi you", b);
        Assert.Equal(a[1], b[2]);     // " you" in both
        Assert.NotEqual(b[0], b[2]);  // "you" at the start has no folded space
        Assert.NotEqual(a[0], a[1]);
        var again = new List<int>();
        Tok.Encode("Hi you", again);
        Assert.Equal(a, again);
    }

    [Fact]
    public void Decode_is_not_supported_and_says_why()
    {
        var e = Assert.Throws<NotSupportedException>(() => Tok.Decode([1, 2, 3]));
        Assert.Contains("cannot be decoded", e.Message, StringComparison.Ordinal);
        Assert.Equal("default-v1", Tok.Name);
    }

    [Fact]
    public void Counting_allocates_nothing()
    {
        var text = string.Concat(Enumerable.Repeat("Hello, world! 12345 naïve 東京 🦙  \n", 2000));
        Tok.CountTokens(text); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        int n = Tok.CountTokens(text);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(n > 0);
        Assert.Equal(0, after - before);
    }

    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-gpt-2.gguf")]
    [InlineData("ggml-vocab-phi-3.gguf")]
    public void Totals_are_within_a_loose_band_of_real_tokenizers_on_llama_cpp_test_strings(string vocab)
    {
        // llama.cpp's tokenizer test strings (odd on purpose: whitespace runs, emoji, many scripts) with the ids real
        // tokenizers produce. The default tokenizer is an approximation: the totals must agree within a factor of 2.
        var inputs = File.ReadAllText(TestPaths.Shared("models", "llamacpp-vocab", vocab + ".inp")).Split("\n__ggml_vocab_test__\n");
        var outputs = File.ReadAllText(TestPaths.Shared("models", "llamacpp-vocab", vocab + ".out")).Split('\n');
        int ours = 0, theirs = 0;
        for (int i = 0; i < inputs.Length && i < outputs.Length; i++)
        {
            ours += Tok.CountTokens(inputs[i]);
            theirs += outputs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        }
        Assert.True(theirs > 100);
        double ratio = (double)ours / theirs;
        Assert.InRange(ratio, 0.5, 2.0);
        Assert.True(ratio > 0, ratio.ToString(CultureInfo.InvariantCulture));
    }
}
