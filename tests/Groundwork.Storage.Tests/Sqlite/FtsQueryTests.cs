using Groundwork.Storage.Sqlite;

namespace Groundwork.Storage.Tests.Sqlite;

public sealed class FtsQueryTests
{
    [Theory]
    [InlineData("What is the C++ standard?", "\"c\" OR \"standard\"")]
    [InlineData("to be or not to be", "\"to\" OR \"be\" OR \"or\" OR \"not\"")]
    [InlineData("Compost compost COMPOST heap", "\"compost\" OR \"heap\"")]
    [InlineData("title:foo AND \"bar\" NEAR(baz)", "\"title\" OR \"foo\" OR \"bar\" OR \"near\" OR \"baz\"")]
    [InlineData("e-mail x2 v1.5", "\"e\" OR \"mail\" OR \"x2\" OR \"v1\" OR \"5\"")]
    [InlineData("Größe café 東京 👍", "\"größe\" OR \"café\" OR \"東京\"")]
    public void Builds_quoted_or_expression(string query, string expected)
        => Assert.Equal(expected, FtsQuery.Build(query));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    [InlineData("?!... ---- \"\" ()")]
    [InlineData("👍🙂")]
    public void No_terms_gives_null(string? query) => Assert.Null(FtsQuery.Build(query));

    [Fact]
    public void Combining_marks_stay_inside_the_word()
        => Assert.Equal(["cafe\u0301", "x"], FtsQuery.Terms("cafe\u0301 x"));

    [Fact]
    public void Very_long_queries_are_capped()
    {
        var query = string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"w{i}"));
        var expression = FtsQuery.Build(query)!;
        Assert.Equal(FtsQuery.MaxTerms, expression.Split(" OR ").Length);
        Assert.StartsWith("\"w0\" OR \"w1\"", expression, StringComparison.Ordinal);
    }
}
