using Groundwork.Models.Tokenizers;

namespace Groundwork.Models.Tests.Tokenizers;

/// <summary>The hand-written GPT-2 / Llama 3 scanners agree with the same patterns run as .NET regular expressions.</summary>
public sealed class BpePreTokenizerTests
{
    private static readonly string[] Samples =
    [
        "Hello world! This is a test.",
        "I'm sure they'll say it's 'fine', we've DON'T You'RE",
        "  two  spaces\tand\ttabs\n\n  newlines   ",
        "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n",
        "Call 555-0123 or 3.14159; year 2024, 1000000 ½ ٣٤٥",
        "café naïve 你好世界 Привет 🦙😀👍🏽 ❤️ ;;; !!! ...",
        "x\r\ny\r\n\r\nz   !?  \u00A0nbsp\u3000ideographic",
    ];

    private static IEnumerable<string> Inputs()
    {
        foreach (var s in Samples) yield return s;
        const string alphabet = "aZé9٣ '\n\r\t.!😀,sStTdD-你\u00A0";
        var rng = new Random(1234);
        var runes = alphabet.EnumerateRunes().Select(r => r.ToString()).ToArray();
        for (int i = 0; i < 300; i++)
            yield return string.Concat(Enumerable.Range(0, rng.Next(1, 24)).Select(_ => runes[rng.Next(runes.Length)]));
    }

    private static List<string> Words(BpePreTokenizer pre, string text) => pre.Split(text).Select(w => text.Substring(w.Start, w.Length)).ToList();

    [Fact]
    public void Gpt2_scanner_matches_the_regex()
    {
        var scanner = BpePreTokenizer.FromPatterns(BpePreTokenizer.Gpt2Pattern);
        var regex = BpePreTokenizer.FromPatterns(BpePreTokenizer.Gpt2Pattern + @"|\s+"); // not the exact string: runs as a Regex
        foreach (var s in Inputs()) Assert.Equal(Words(regex, s), Words(scanner, s));
    }

    [Fact]
    public void Llama3_scanner_matches_the_regex()
    {
        var scanner = BpePreTokenizer.FromPatterns(BpePreTokenizer.Llama3Pattern);
        var regex = BpePreTokenizer.FromPatterns("(?:" + BpePreTokenizer.Llama3Pattern + ")");
        foreach (var s in Inputs()) Assert.Equal(Words(regex, s), Words(scanner, s));
    }

    [Theory]
    [InlineData("default")] [InlineData("gpt-2")] [InlineData("llama-bpe")] [InlineData("dbrx")] [InlineData("qwen2")]
    [InlineData("stablelm2")] [InlineData("smollm")] [InlineData("starcoder")] [InlineData("command-r")] [InlineData("falcon")]
    [InlineData("deepseek-coder")] [InlineData("deepseek-v3")] [InlineData("bloom")] [InlineData("poro-chat")]
    [InlineData("viking")] [InlineData("tekken")] [InlineData("chameleon")] [InlineData("chatglm-bpe")]
    public void Every_supported_pre_type_splits_text_into_contiguous_non_empty_words(string pre)
    {
        var p = BpePreTokenizer.For(pre);
        Assert.NotNull(p);
        foreach (var s in Samples.Append("<sentinel:12> IMGIMGABZ x…y。z"))
        {
            var spans = p.Split(s);
            int at = 0;
            foreach (var (start, length) in spans)
            {
                Assert.Equal(at, start);
                Assert.True(length > 0);
                at += length;
            }
            Assert.Equal(s.Length, at);
            Assert.True(spans.Count > (string.IsNullOrWhiteSpace(s) ? 0 : 1));
        }
    }

    [Fact]
    public void Known_splits_for_each_family()
    {
        const string text = "Hello, y'all! 12345 \n\n  ok";
        Assert.Equal(["Hello", ",", " y", "'", "all", "!", " 12345", " \n\n ", " ok"], Words(BpePreTokenizer.For("gpt-2")!, text));
        Assert.Equal(["Hello", ",", " y", "'all", "!", " ", "123", "45", " \n\n", " ", " ok"], Words(BpePreTokenizer.For("llama-bpe")!, text));
        Assert.Equal(["Hello", ",", " y", "'all", "!", " ", "1", "2", "3", "4", "5", " \n\n", " ", " ok"], Words(BpePreTokenizer.For("qwen2")!, text));
        Assert.Equal(["Hello", ",", " y", "'", "all", "!", " ", "1", "2", "3", "4", "5", " \n\n ", " ok"], Words(BpePreTokenizer.For("smollm")!, text));
        // code points, not UTF-16 units: an emoji is one "other" character that may lead a word (Llama 3 / Qwen2 style)
        Assert.Equal(["😀abc", " 𝔘𝔫𝔦"], Words(BpePreTokenizer.For("qwen2")!, "😀abc 𝔘𝔫𝔦"));
        Assert.Equal(["😀abc", " 𝔘𝔫𝔦"], Words(BpePreTokenizer.For("llama3")!, "😀abc 𝔘𝔫𝔦"));
        Assert.Null(BpePreTokenizer.For("no-such-pre"));
    }
}
