using Groundwork.Evaluation.Datasets;

namespace Groundwork.Evaluation.Tests.Datasets;

public sealed class CsvReaderTests
{
    private static List<string[]> Parse(string text) => CsvReader.Parse(text, "t.csv").Select(r => r.Fields.ToArray()).ToList();

    [Fact]
    public void Parses_quoted_fields_with_commas_quotes_and_line_breaks()
    {
        var records = CsvReader.Parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\r\nline2\nline3\"\r\n,,\r\nlast,\"\",z", "t.csv").ToList();

        Assert.Equal(["a", "b", "c"], records[0].Fields);
        Assert.Equal(["x, y", "say \"hi\"", "line1\r\nline2\nline3"], records[1].Fields);
        Assert.Equal(["", "", ""], records[2].Fields);
        Assert.Equal(["last", "", "z"], records[3].Fields);
        Assert.Equal([1, 2, 5, 6], records.Select(r => r.Line));
    }

    [Fact]
    public void Accepts_lf_and_cr_line_ends_and_skips_blank_lines()
    {
        Assert.Equal([["a", "b"], ["c", "d"], ["e", "f"]], Parse("a,b\n\nc,d\re,f\n"));
        Assert.Equal([["a"]], Parse("a\r\n"));
        Assert.Empty(Parse(""));
    }

    [Theory]
    [InlineData("a,b\"c\n", "t.csv:1: unexpected '\"' inside an unquoted field")]
    [InlineData("a\n\"x\"y,b\n", "t.csv:2: unexpected character 'y' after the closing quote")]
    [InlineData("a\n\"open\nstill open", "t.csv:2: unterminated quoted field")]
    public void Rejects_malformed_quoting_with_the_line(string text, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse(text));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
