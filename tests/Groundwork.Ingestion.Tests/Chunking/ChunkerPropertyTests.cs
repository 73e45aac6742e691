using Groundwork.Documents;
using Groundwork.Ingestion.Chunking;
using Groundwork.Ingestion.Tokenization;

namespace Groundwork.Ingestion.Tests.Chunking;

/// <summary>Properties of <see cref="Chunker"/> over seeded random documents (headings, paragraphs, long sentences,
/// table rows, over-long words, code, accented/Cyrillic/CJK text and surrogate pairs).</summary>
public sealed class ChunkerPropertyTests
{
    private const int Documents = 300;
    private static readonly DefaultTokenizer Tok = DefaultTokenizer.Instance;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < 10; i++) data.Add(i);
        return data;
    }

    // Each theory case checks a slice of the documents so a failure names a small seed range.
    private static IEnumerable<(ExtractedDocument Doc, RandomDocuments.Shape Shape, ChunkingOptions Options, IReadOnlyList<TextChunk> Chunks)> Cases(int slice)
    {
        for (int seed = slice; seed < Documents; seed += 10)
        {
            var (doc, shape) = RandomDocuments.Create(seed);
            var rng = new Random(seed * 7919);
            var options = new ChunkingOptions(rng.Next(16, 160), rng.Next(0, 51) / 100.0);
            yield return (doc, shape, options, new Chunker(Tok, options).Chunk(doc));
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Offsets_round_trip_and_chunks_are_trimmed_and_ordered(int slice)
    {
        foreach (var (doc, _, _, chunks) in Cases(slice))
        {
            for (int i = 0; i < chunks.Count; i++)
            {
                var c = chunks[i];
                Assert.Equal(i, c.Ordinal);
                Assert.True(c.Start < c.End, $"{doc.SourcePath} chunk {i}: empty");
                Assert.Equal(doc.Text[c.Start..c.End], c.Text);
                Assert.False(char.IsWhiteSpace(c.Text[0]) || char.IsWhiteSpace(c.Text[^1]), $"{doc.SourcePath} chunk {i}: not trimmed");
                if (i > 0)
                {
                    Assert.True(c.Start >= chunks[i - 1].Start && c.End > chunks[i - 1].End, $"{doc.SourcePath} chunk {i}: out of order");
                }
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Token_counts_are_exact_and_within_the_limit_except_a_single_oversized_table_row(int slice)
    {
        foreach (var (doc, _, options, chunks) in Cases(slice))
        {
            foreach (var c in chunks)
            {
                Assert.Equal(Tok.CountTokens(c.Text), c.TokenCount);
                if (c.TokenCount <= options.MaxTokens) continue;
                // Allowed only for one table row too big for the chunk, with at most headings beside it.
                var covered = Covered(doc, c).ToList();
                var content = covered.Where(b => b.Kind != BlockKind.Heading).ToList();
                Assert.True(content.Count == 1 && content[0].Kind == BlockKind.TableRow,
                    $"{doc.SourcePath} chunk {c.Ordinal}: {c.TokenCount} tokens > {options.MaxTokens} and not a single table row");
                // ...and whole blocks only: no overlap text rides along.
                Assert.True(covered.All(b => c.Start <= b.Start && b.End <= c.End),
                    $"{doc.SourcePath} chunk {c.Ordinal}: oversized chunk holds part of a block: '{c.Text}'");
                int rowTokens = Tok.CountTokens(doc.Text.AsSpan(content[0].Start, content[0].Length));
                Assert.True(rowTokens > options.MaxTokens || covered.Count > 1,
                    $"{doc.SourcePath} chunk {c.Ordinal}: a row of {rowTokens} tokens alone should fit");
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Every_non_whitespace_character_is_covered(int slice)
    {
        foreach (var (doc, _, _, chunks) in Cases(slice))
        {
            var covered = new bool[doc.Text.Length];
            foreach (var c in chunks)
                for (int i = c.Start; i < c.End; i++) covered[i] = true;
            for (int i = 0; i < doc.Text.Length; i++)
                Assert.True(covered[i] || char.IsWhiteSpace(doc.Text[i]), $"{doc.SourcePath}: offset {i} ('{doc.Text[i]}') is in no chunk");
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Chunks_never_start_or_end_inside_a_word_unless_the_word_is_longer_than_a_chunk(int slice)
    {
        foreach (var (doc, _, options, chunks) in Cases(slice))
        {
            foreach (var c in chunks)
            {
                foreach (int at in new[] { c.Start, c.End })
                {
                    var t = doc.Text;
                    Assert.False(at > 0 && at < t.Length && char.IsHighSurrogate(t[at - 1]) && char.IsLowSurrogate(t[at]),
                        $"{doc.SourcePath} chunk {c.Ordinal}: cut inside a surrogate pair at {at}");
                    if (IsWordBoundary(t, at)) continue;
                    int ws = at, we = at;
                    while (ws > 0 && !char.IsWhiteSpace(t[ws - 1])) ws--;
                    while (we < t.Length && !char.IsWhiteSpace(t[we])) we++;
                    int wordTokens = Tok.CountTokens(t.AsSpan(ws, we - ws));
                    Assert.True(wordTokens > options.MaxTokens / 4,
                        $"{doc.SourcePath} chunk {c.Ordinal}: cut at {at} inside the word '{t[ws..we]}' of {wordTokens} tokens");
                }
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Table_rows_are_never_split(int slice)
    {
        foreach (var (doc, _, _, chunks) in Cases(slice))
        {
            foreach (var row in doc.Blocks.Where(b => b.Kind == BlockKind.TableRow))
            {
                foreach (var c in chunks)
                {
                    bool intersects = c.Start < row.End && row.Start < c.End;
                    Assert.True(!intersects || (c.Start <= row.Start && row.End <= c.End),
                        $"{doc.SourcePath} chunk {c.Ordinal} [{c.Start}, {c.End}) cuts the table row [{row.Start}, {row.End})");
                }
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Sections_are_respected(int slice)
    {
        foreach (var (doc, _, _, chunks) in Cases(slice))
        {
            foreach (var c in chunks)
            {
                var covered = Covered(doc, c).ToList();
                bool seenContent = false;
                foreach (var b in covered)
                {
                    if (b.Kind == BlockKind.Heading)
                    {
                        Assert.False(seenContent, $"{doc.SourcePath} chunk {c.Ordinal}: a heading follows content in the same chunk");
                        continue;
                    }
                    seenContent = true;
                    Assert.Equal(b.SectionPath, c.SectionPath);
                }
                if (!seenContent) Assert.Equal(covered[^1].SectionPath, c.SectionPath);
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void A_chunk_holds_only_headings_only_at_the_end_or_when_they_fill_it(int slice)
    {
        foreach (var (doc, _, options, chunks) in Cases(slice))
        {
            foreach (var c in chunks)
            {
                if (Covered(doc, c).Any(b => b.Kind != BlockKind.Heading)) continue;
                // Only headings: allowed at the end of the document, or when a run of headings fills the chunk.
                if (c.TokenCount * 4 >= options.MaxTokens * 3) continue;
                Assert.True(doc.Blocks.Where(b => b.Start >= c.End).All(b => b.Kind == BlockKind.Heading),
                    $"{doc.SourcePath} chunk {c.Ordinal} holds only headings");
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Overlap_stays_in_the_section_and_within_the_target(int slice)
    {
        int withOverlap = 0, sameSection = 0;
        foreach (var (doc, shape, options, chunks) in Cases(slice))
        {
            int target = options.OverlapTokens;
            for (int i = 1; i < chunks.Count; i++)
            {
                TextChunk a = chunks[i - 1], b = chunks[i];
                bool same = a.SectionPath.SequenceEqual(b.SectionPath) && !HeadingBetween(doc, a.End, b.End);
                if (b.Start < a.End)
                {
                    withOverlap++;
                    int overlap = Tok.CountTokens(doc.Text.AsSpan(b.Start, a.End - b.Start));
                    Assert.True(same, $"{doc.SourcePath} chunk {i}: overlap across a section boundary");
                    Assert.True(overlap <= target, $"{doc.SourcePath} chunk {i}: overlap {overlap} > target {target}");
                    Assert.True(overlap <= options.MaxTokens / 2);
                    foreach (var blk in doc.Blocks.Where(x => x.Start < a.End && b.Start < x.End))
                        Assert.Equal(b.SectionPath, blk.SectionPath);
                }
                if (!same || !shape.Prose) continue;
                sameSection++;
                // Prose (short words only): the overlap is present and near the target, or covers all the previous
                // chunk's own text when that is shorter.
                int ownStart = i >= 2 && chunks[i - 2].End > a.Start ? chunks[i - 2].End : a.Start;
                // Headings of outer sections at the top of the previous chunk are not part of this section.
                ownStart = Math.Max(ownStart, Covered(doc, a).First(x => x.SectionPath.SequenceEqual(a.SectionPath)).Start);
                while (char.IsWhiteSpace(doc.Text[ownStart])) ownStart++;
                int own = Tok.CountTokens(doc.Text.AsSpan(ownStart, a.End - ownStart));
                int got = b.Start < a.End ? Tok.CountTokens(doc.Text.AsSpan(b.Start, a.End - b.Start)) : 0;
                int expected = Math.Min(Math.Min(target / 2, target - 6), own);
                Assert.True(got >= expected,
                    $"{doc.SourcePath} chunk {i}: overlap {got} tokens, expected at least {expected} (target {target}, previous own text {own})");
            }
        }
        Assert.True(withOverlap > 0 && sameSection > 0, "the generator produced no overlapping chunks");
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Page_ranges_are_those_of_the_covered_blocks(int slice)
    {
        foreach (var (doc, _, _, chunks) in Cases(slice))
        {
            foreach (var c in chunks)
            {
                var pages = Covered(doc, c).Where(b => b.Page is not null).Select(b => b.Page!.Value).ToList();
                Assert.Equal(pages.Count == 0 ? null : pages.Min(), c.PageStart);
                Assert.Equal(pages.Count == 0 ? null : pages.Max(), c.PageEnd);
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Chunking_is_deterministic(int slice)
    {
        foreach (var (doc, _, options, chunks) in Cases(slice))
        {
            var again = new Chunker(Tok, options).Chunk(doc);
            Assert.Equal(chunks.Count, again.Count);
            for (int i = 0; i < chunks.Count; i++)
            {
                Assert.Equal(chunks[i] with { SectionPath = [] }, again[i] with { SectionPath = [] });
                Assert.Equal(chunks[i].SectionPath, again[i].SectionPath);
            }
        }
    }

    private static IEnumerable<TextBlock> Covered(ExtractedDocument doc, TextChunk c)
        => doc.Blocks.Where(b => b.Start < c.End && c.Start < b.End);

    private static bool HeadingBetween(ExtractedDocument doc, int from, int to)
        => doc.Blocks.Any(b => b.Kind == BlockKind.Heading && b.Start >= from && b.Start < to);

    // A cut at `at` splits no word when one side is not a letter or digit of a spaced script.
    private static bool IsWordBoundary(string t, int at)
    {
        if (at <= 0 || at >= t.Length) return true;
        return !IsWordChar(t[at - 1]) || !IsWordChar(t[at]);
    }

    private static bool IsWordChar(char c)
        => char.IsLetterOrDigit(c) && !(c is >= '\u2E80' and <= '\u9FFF');
}
