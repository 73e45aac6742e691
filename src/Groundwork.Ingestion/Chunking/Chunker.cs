using Groundwork.Documents;
using Groundwork.Text;

namespace Groundwork.Ingestion.Chunking;

/// <summary>
/// Splits an <see cref="ExtractedDocument"/> into token-bounded, overlapping chunks that follow its structure.
/// </summary>
/// <remarks>
/// <para>Boundaries are chosen in this order of preference: sections (a heading starts a new chunk, and is kept with
/// the content after it), blocks (paragraphs, list items, table rows...), sentences inside a block that does not fit,
/// words inside a sentence that does not fit, and, only for a single word longer than the chunk, a cut between two
/// characters (preferring punctuation or CJK boundaries, never inside a surrogate pair). A table row is never split:
/// a row larger than <see cref="ChunkingOptions.MaxTokens"/> becomes its own, oversized chunk.</para>
/// <para>Each chunk after the first of a section starts with about <see cref="ChunkingOptions.OverlapTokens"/> tokens
/// from the end of the previous chunk, taken at a sentence or word boundary; overlap never crosses a section
/// boundary. Chunks are trimmed of whitespace and <see cref="TextChunk.Text"/> is exactly
/// <c>doc.Text[Start..End]</c>; every non-whitespace character of the document lies in at least one chunk.</para>
/// <para>Tokens are counted once per unit (block, then sentence and word only where a unit does not fit) and summed,
/// so the work is linear in the document size; each chunk's final count is verified with the tokenizer.</para>
/// </remarks>
public sealed class Chunker
{
    private readonly ITokenizer _tokenizer;
    private readonly ChunkingOptions _options;

    /// <summary>Creates a chunker that counts tokens with <paramref name="tokenizer"/>.</summary>
    public Chunker(ITokenizer tokenizer, ChunkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        _tokenizer = tokenizer;
        _options = options;
    }

    /// <summary>Splits <paramref name="doc"/> into chunks, in document order. Deterministic for a given tokenizer and options.</summary>
    /// <exception cref="ArgumentException">The document's blocks are out of range, overlap or are out of order.</exception>
    public IReadOnlyList<TextChunk> Chunk(ExtractedDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        return new ChunkAssembler(_tokenizer, _options, doc).Run();
    }
}
