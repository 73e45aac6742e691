using System.Text;
using Groundwork.Documents;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Tokenization;

namespace Groundwork.Ingestion.Tests.Chunking;

public sealed class ChunkerTests
{
    private static readonly DefaultTokenizer Tok = DefaultTokenizer.Instance;

    private static ExtractedDocument Build(Action<ExtractedDocumentBuilder> add, int? pages = null)
    {
        var b = new ExtractedDocumentBuilder();
        add(b);
        return b.Build("doc.md", null, "0", 0, "text/markdown", pages);
    }

    private static IReadOnlyList<TextChunk> Chunk(ExtractedDocument doc, int max = 500, double overlap = 0.15)
        => new Chunker(Tok, new ChunkingOptions(max, overlap)).Chunk(doc);

    private static string Words(int count, string prefix = "word")
        => string.Join(' ', Enumerable.Range(0, count).Select(i => $"{prefix}{i % 10}"));

    [Fact]
    public void A_small_document_is_one_chunk_with_its_heading()
    {
        var doc = Build(b =>
        {
            b.AddHeading(1, "Title");
            b.AddBlock(BlockKind.Paragraph, "Hello world. Second sentence.");
        });
        var c = Assert.Single(Chunk(doc));
        Assert.Equal(doc.Text, c.Text);
        Assert.Equal(["Title"], c.SectionPath);
        Assert.Equal((0, doc.Text.Length), (c.Start, c.End));
        Assert.Null(c.PageStart);
    }

    [Fact]
    public void Each_section_starts_a_chunk_without_overlap_and_keeps_its_heading()
    {
        var doc = Build(b =>
        {
            b.AddHeading(1, "Guide");
            b.AddHeading(2, "Install");
            b.AddBlock(BlockKind.Paragraph, "Run the installer.");
            b.AddHeading(2, "Use");
            b.AddBlock(BlockKind.Paragraph, "Open the app.");
        });
        var chunks = Chunk(doc);
        Assert.Equal(2, chunks.Count);
        Assert.Equal("Guide\n\nInstall\n\nRun the installer.", chunks[0].Text);
        Assert.Equal(["Guide", "Install"], chunks[0].SectionPath);
        Assert.Equal("Use\n\nOpen the app.", chunks[1].Text);
        Assert.Equal(["Guide", "Use"], chunks[1].SectionPath);
    }

    [Fact]
    public void A_heading_is_kept_with_the_start_of_a_block_that_barely_fits_alone()
    {
        // The paragraph fits a chunk alone but not after the heading: it is split at a sentence boundary instead
        // of leaving the heading alone in its chunk.
        var para = string.Join(' ', Enumerable.Range(0, 12).Select(i => $"Sentence number {i} has words."));
        var doc = Build(b =>
        {
            b.AddHeading(1, "Heading");
            b.AddBlock(BlockKind.Paragraph, para);
        });
        int paraTokens = Tok.CountTokens(para);
        var chunks = Chunk(doc, max: paraTokens, overlap: 0);
        Assert.Equal(2, chunks.Count);
        Assert.StartsWith("Heading\n\nSentence number 0", chunks[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("has words.", chunks[0].Text, StringComparison.Ordinal);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= paraTokens));
    }

    [Fact]
    public void An_oversized_block_splits_at_sentences_and_the_next_chunk_starts_with_overlap()
    {
        var sentences = Enumerable.Range(0, 40).Select(i => $"This is sentence {i} of the long paragraph.").ToArray();
        var doc = Build(b => b.AddBlock(BlockKind.Paragraph, string.Join(' ', sentences)));
        var chunks = Chunk(doc, max: 60, overlap: 0.25);
        Assert.True(chunks.Count > 3);
        foreach (var c in chunks)
        {
            Assert.True(c.TokenCount <= 60);
            Assert.EndsWith("paragraph.", c.Text, StringComparison.Ordinal);
        }
        for (int i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].Start < chunks[i - 1].End, $"chunk {i} has no overlap");
            int overlap = Tok.CountTokens(doc.Text.AsSpan(chunks[i].Start, chunks[i - 1].End - chunks[i].Start));
            Assert.InRange(overlap, 15 / 2, 15);
            // One sentence (12 tokens) is at least half the target of 15: the overlap starts at a sentence.
            Assert.StartsWith("This is sentence", chunks[i].Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_oversized_sentence_splits_at_words()
    {
        var doc = Build(b => b.AddBlock(BlockKind.Paragraph, Words(300)));
        var chunks = Chunk(doc, max: 50, overlap: 0.1);
        Assert.True(chunks.Count >= 6);
        foreach (var c in chunks)
        {
            Assert.True(c.TokenCount <= 50);
            Assert.Matches(@"^word\d( word\d)*$", c.Text);
        }
    }

    [Fact]
    public void An_over_long_word_is_cut_between_characters_but_never_inside_a_surrogate_pair()
    {
        var word = string.Concat(Enumerable.Repeat("ab😀", 400));
        var doc = Build(b => b.AddBlock(BlockKind.Paragraph, "Before " + word + " after."));
        var chunks = Chunk(doc, max: 40, overlap: 0);
        Assert.True(chunks.Count > 10);
        foreach (var c in chunks)
        {
            Assert.True(c.TokenCount <= 40);
            Assert.False(char.IsLowSurrogate(c.Text[0]));
            Assert.False(char.IsHighSurrogate(c.Text[^1]));
        }
        Assert.Equal(doc.Text.Replace(" ", "", StringComparison.Ordinal), string.Concat(chunks.Select(c => c.Text.Replace(" ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void A_table_row_larger_than_a_chunk_is_its_own_oversized_chunk()
    {
        var bigRow = string.Join(" | ", Enumerable.Range(0, 60).Select(i => $"cell {i}"));
        var doc = Build(b =>
        {
            b.AddBlock(BlockKind.Paragraph, "Intro text.");
            b.AddBlock(BlockKind.TableRow, "a | b");
            b.AddBlock(BlockKind.TableRow, bigRow);
            b.AddBlock(BlockKind.TableRow, "c | d");
        });
        var chunks = Chunk(doc, max: 32, overlap: 0.2);
        var big = Assert.Single(chunks, c => c.Text.Contains(bigRow, StringComparison.Ordinal));
        Assert.Equal(bigRow, big.Text);
        Assert.True(big.TokenCount > 32);
        Assert.All(chunks.Where(c => c != big), c => Assert.True(c.TokenCount <= 32));
        Assert.Equal("c | d", chunks[^1].Text);
    }

    [Fact]
    public void Table_rows_pack_whole_and_overlap_takes_whole_rows()
    {
        var doc = Build(b =>
        {
            for (int i = 0; i < 30; i++) b.AddBlock(BlockKind.TableRow, $"row {i} | value {i * 7} | note");
        });
        var chunks = Chunk(doc, max: 40, overlap: 0.5);
        var rows = doc.Blocks.Select(r => (r.Start, r.End)).ToList();
        foreach (var c in chunks)
        {
            Assert.Contains(rows, r => r.Start == c.Start);
            Assert.Contains(rows, r => r.End == c.End);
        }
        Assert.True(chunks.Skip(1).All(c => chunks[c.Ordinal - 1].End > c.Start), "rows should overlap");
    }

    [Fact]
    public void Page_ranges_follow_the_blocks()
    {
        var doc = Build(b =>
        {
            b.CurrentPage = 1;
            b.AddBlock(BlockKind.Paragraph, Words(20) + ".");
            b.CurrentPage = 2;
            b.AddBlock(BlockKind.Paragraph, Words(20) + ".");
            b.CurrentPage = 3;
            b.AddBlock(BlockKind.Paragraph, Words(20) + ".");
        }, pages: 3);
        var chunks = Chunk(doc, max: 50, overlap: 0.2);
        Assert.Equal(1, chunks[0].PageStart);
        Assert.Equal(3, chunks[^1].PageEnd);
        Assert.Contains(chunks, c => c.PageStart < c.PageEnd);
    }

    [Fact]
    public void Text_outside_blocks_is_still_chunked()
    {
        const string text = "Preamble not in a block.\n\nBlock text here.\n\nTrailing words.";
        var blocks = new[] { new TextBlock(26, 16, BlockKind.Paragraph, ["S"], 4) };
        var doc = new ExtractedDocument("x.txt", null, text, blocks, "0", text.Length, "text/plain");
        var chunks = Chunk(doc);
        // The preamble lies before the first block's section, so it is a chunk of its own; the tail joins the block.
        Assert.Equal(["Preamble not in a block.", "Block text here.\n\nTrailing words."], chunks.Select(c => c.Text));
        Assert.Empty(chunks[0].SectionPath);
        Assert.Equal(["S"], chunks[1].SectionPath);
        Assert.All(chunks, c => Assert.Equal((4, 4), (c.PageStart, c.PageEnd)));
        Assert.Empty(Chunk(new ExtractedDocument("e.txt", null, " \n ", [], "0", 3, "text/plain")));
    }

    [Theory]
    [InlineData(-1, 5, "block 0 (Paragraph) spans [-1, 4), outside the text of length 10")]
    [InlineData(5, 6, "block 0 (Paragraph) spans [5, 11), outside the text of length 10")]
    public void Blocks_outside_the_text_are_rejected_with_a_clear_message(int start, int length, string message)
    {
        var doc = new ExtractedDocument("bad.txt", null, "0123456789", [new TextBlock(start, length, BlockKind.Paragraph, [], null)], "0", 10, "text/plain");
        var e = Assert.Throws<ArgumentException>(() => Chunk(doc));
        Assert.StartsWith("bad.txt: " + message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_blocks_are_rejected_with_a_clear_message()
    {
        var doc = new ExtractedDocument("bad.txt", null, "0123456789", [
            new TextBlock(0, 6, BlockKind.Paragraph, [], null), new TextBlock(4, 3, BlockKind.Paragraph, [], null)], "0", 10, "text/plain");
        var e = Assert.Throws<ArgumentException>(() => Chunk(doc));
        Assert.StartsWith("bad.txt: block 1 (Paragraph) starts at 4, before the previous block ends at 6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Works_with_a_non_additive_tokenizer()
    {
        // Counts every char: sums of words miss the spaces, so the chunker must verify and trim.
        var tok = new CharTokenizer();
        var doc = Build(b => b.AddBlock(BlockKind.Paragraph, Words(200)));
        var chunks = new Chunker(tok, new ChunkingOptions(64, 0.25)).Chunk(doc);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 64 && c.TokenCount == c.Text.Length));
        Assert.Equal(doc.Text.Length, chunks[^1].End);
    }

    [Fact]
    public void A_multi_megabyte_single_line_chunks_in_linear_work()
    {
        // 4 MB on one line with no sentence ends: a quadratic chunker would not finish.
        var sb = new StringBuilder(4_000_000);
        var rng = new Random(5);
        while (sb.Length < 4_000_000) sb.Append(Words(1 + rng.Next(9), "w")).Append(rng.Next(50) == 0 ? "x" : "").Append(' ');
        var doc = Build(b => b.AddBlock(BlockKind.Paragraph, sb.ToString()));
        var chunks = Chunk(doc);
        Assert.True(chunks.Count > 1000);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 500));
        Assert.Equal(doc.Text.Length, chunks[^1].End);
    }

    private sealed class CharTokenizer : Groundwork.Text.ITokenizer
    {
        public string Name => "chars";
        public int CountTokens(ReadOnlySpan<char> text) => text.Length;
        public void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = false)
        {
            foreach (var c in text) ids.Add(c);
        }
        public string Decode(ReadOnlySpan<int> ids) => new(ids.ToArray().Select(i => (char)i).ToArray());
    }
}
