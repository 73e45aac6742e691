using Groundwork.Answering.Generation;

namespace Groundwork.Answering.Tests.Generation;

public sealed class CitationVerifierTests
{
    [Fact]
    public void Parses_markers_lists_and_the_quotes_block()
    {
        var parsed = CitationVerifier.Parse("First claim [1]. Second claim [2, 3]. Third [1][3].\n\nQuotes:\n[1] \"alpha beta\"\n[3] “gamma”");
        Assert.Equal(3, parsed.Sentences.Count);
        Assert.Equal([1], parsed.Sentences[0].Numbers);
        Assert.Equal([2, 3], parsed.Sentences[1].Numbers);
        Assert.Equal([1, 3], parsed.Sentences[2].Numbers);
        Assert.Equal("First claim.", parsed.Sentences[0].Text);
        Assert.Equal("alpha beta", parsed.Quotes[1]);
        Assert.Equal("gamma", parsed.Quotes[3]);
    }

    [Fact]
    public void A_marker_after_the_full_stop_belongs_to_the_sentence_before()
    {
        var parsed = CitationVerifier.Parse("Leave is 16 weeks. [2] Vacation is 25 days.");
        Assert.Equal(2, parsed.Sentences.Count);
        Assert.Equal([2], parsed.Sentences[0].Numbers);
        Assert.Empty(parsed.Sentences[1].Numbers);
    }

    [Fact]
    public void Finds_quotes_despite_case_whitespace_and_quote_styles()
    {
        const string text = "The policy says:\n“Employees   receive 16 weeks” of leave.";
        var found = CitationVerifier.FindNormalized(text, "\"employees receive 16 WEEKS\"");
        Assert.NotNull(found);
        Assert.Equal("“Employees   receive 16 weeks”", text[found.Value.Start..found.Value.End]);
        Assert.Null(CitationVerifier.FindNormalized(text, "employees receive 20 weeks"));
    }
}
