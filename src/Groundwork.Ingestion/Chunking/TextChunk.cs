namespace Groundwork.Ingestion.Chunking;

/// <summary>
/// One chunk of an extracted document: a range of <see cref="Groundwork.Documents.ExtractedDocument.Text"/>, trimmed
/// of surrounding whitespace, with its heading path, pages and token count.
/// </summary>
/// <param name="Ordinal">0-based position of the chunk in the document.</param>
/// <param name="Start">Offset of the first character in the document text.</param>
/// <param name="End">Offset one past the last character; <c>Text == doc.Text[Start..End]</c>.</param>
/// <param name="Text">The chunk text, including the overlap taken from the previous chunk.</param>
/// <param name="SectionPath">Heading path of the chunk's content (outermost first); empty before the first heading.</param>
/// <param name="PageStart">Smallest page of the blocks the chunk covers, or null for unpaginated sources.</param>
/// <param name="PageEnd">Largest page of the blocks the chunk covers, or null for unpaginated sources.</param>
/// <param name="TokenCount">Tokens of <paramref name="Text"/> by the chunker's tokenizer.</param>
public sealed record TextChunk(int Ordinal, int Start, int End, string Text, IReadOnlyList<string> SectionPath,
    int? PageStart, int? PageEnd, int TokenCount);
