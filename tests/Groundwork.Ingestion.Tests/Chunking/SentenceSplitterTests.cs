using Groundwork.Text;
using Groundwork.Ingestion.Chunking;

namespace Groundwork.Ingestion.Tests.Chunking;

public sealed class SentenceSplitterTests
{
    private static string[] Split(string text) => SentenceSplitter.Split(text).Select(r => text[r.Start..r.End]).ToArray();

    [Fact]
    public void Splits_on_terminators_followed_by_space_and_a_capital_or_digit_or_quote()
        => Assert.Equal(["One fish.", "Two fish!", "Red fish?", "3 blue fish.", "\"Quoted,\" he said."],
            Split("One fish. Two fish! Red fish? 3 blue fish. \"Quoted,\" he said."));

    [Theory]
    [InlineData("We use tools, e.g. Hammers and saws.")]
    [InlineData("Ask Dr. Smith and Mr. Jones about it.")]
    [InlineData("Apple Inc. Reported earnings.")]
    [InlineData("Sales in the U.S. Grew fast.")]
    [InlineData("Pi is 3.14 and e is 2.72 roughly.")]
    [InlineData("See Fig. 3 for details.")]
    [InlineData("Written by J. K. Rowling in Edinburgh.")]
    [InlineData("no capital after this. the sentence goes on.")]
    [InlineData("A version number like v1.2.3 stays whole.")]
    public void Does_not_split_abbreviations_initials_decimals_or_before_lowercase(string text)
        => Assert.Equal([text], Split(text));

    [Fact]
    public void Keeps_closing_quotes_and_brackets_with_the_sentence()
        => Assert.Equal(["He said \"stop.\"", "(It was late.)", "Then he left."], Split("He said \"stop.\" (It was late.) Then he left."));

    [Fact]
    public void Ellipses_and_repeated_marks_end_a_sentence_once()
        => Assert.Equal(["Wait...", "Really?!", "Yes…", "Fine."], Split("Wait... Really?! Yes… Fine."));

    [Fact]
    public void Cjk_terminators_end_a_sentence_without_a_space()
        => Assert.Equal(["我想在工作。", "天的中国！", "日本語"], Split("我想在工作。天的中国！日本語"));

    [Fact]
    public void Newlines_count_as_whitespace_and_text_is_trimmed()
        => Assert.Equal(["First line.", "Second\nline."], Split("  First line.\n\nSecond\nline.  "));

    [Fact]
    public void Sentence_start_detection_matches_the_forward_split()
    {
        const string text = "Dr. Who went home. It rained, e.g. Heavily. 42 people came! Then \"nothing.\" Done.";
        var starts = SentenceSplitter.Split(text).Select(r => r.Start).ToHashSet();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]) || (i > 0 && !char.IsWhiteSpace(text[i - 1]))) continue;
            Assert.Equal(starts.Contains(i), SentenceSplitter.IsSentenceStart(text, i, 0));
        }
    }

    [Fact]
    public void Empty_and_whitespace_text_has_no_sentences()
    {
        Assert.Empty(Split(""));
        Assert.Empty(Split(" \n\t "));
    }
}
