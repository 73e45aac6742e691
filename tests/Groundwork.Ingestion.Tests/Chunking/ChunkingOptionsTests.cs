using Groundwork.Ingestion.Chunking;

namespace Groundwork.Ingestion.Tests.Chunking;

public sealed class ChunkingOptionsTests
{
    [Fact]
    public void Defaults_are_500_tokens_and_15_percent_overlap()
    {
        var o = new ChunkingOptions();
        Assert.Equal(500, o.MaxTokens);
        Assert.Equal(0.15, o.OverlapFraction);
        Assert.Equal(75, o.OverlapTokens);
        Assert.Equal(500, ChunkingOptions.Default.MaxTokens);
    }

    [Theory]
    [InlineData(0.6, "overlap must be between 0% and 50% of the chunk size, got 60%")]
    [InlineData(-0.1, "overlap must be between 0% and 50% of the chunk size, got -10%")]
    [InlineData(double.NaN, "overlap must be between 0% and 50% of the chunk size")]
    public void Overlap_outside_0_to_50_percent_is_rejected_with_a_clear_message(double overlap, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkingOptions(500, overlap));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.Equal("OverlapFraction", e.ParamName);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkingOptions { OverlapFraction = overlap });
    }

    [Theory]
    [InlineData(15)]
    [InlineData(0)]
    [InlineData(-3)]
    public void Chunks_smaller_than_16_tokens_are_rejected(int max)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkingOptions { MaxTokens = max });
        Assert.StartsWith($"chunk size must be at least 16 tokens, got {max}", e.Message, StringComparison.Ordinal);
        Assert.Equal("MaxTokens", e.ParamName);
    }

    [Theory]
    [InlineData(16, 0.0)]
    [InlineData(16, 0.5)]
    [InlineData(8192, 0.25)]
    public void Boundary_values_are_accepted(int max, double overlap)
    {
        var o = new ChunkingOptions(max, overlap);
        Assert.Equal(max, o.MaxTokens);
        Assert.Equal((int)Math.Floor(max * overlap), o.OverlapTokens);
    }
}
