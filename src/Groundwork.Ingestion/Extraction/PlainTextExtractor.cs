using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>
/// Extracts <c>.txt</c> files: detects UTF-8/UTF-16/UTF-32 byte order marks (UTF-8 otherwise), rejects binary files,
/// streams the file so memory stays bounded, and splits paragraphs on blank lines. Invalid UTF-8 is replaced with
/// U+FFFD and reported as a warning naming the byte offset of the first invalid sequence.
/// </summary>
public sealed class PlainTextExtractor : IDocumentExtractor
{
    private const int SniffBytes = 8192;
    private const int ChunkBytes = 64 * 1024;
    private readonly ExtractionOptions _options;

    /// <summary>Creates the extractor.</summary>
    public PlainTextExtractor(ExtractionOptions? options = null) => _options = options ?? ExtractionOptions.Default;

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".txt"];

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        var size = SourceFile.CheckReadable(path, _options);
        var hash = await SourceFile.HashAsync(path, cancellationToken).ConfigureAwait(false);
        var builder = new ExtractedDocumentBuilder();
        var paragraphs = new ParagraphSplitter(builder, _options.MaxBlockChars);

        await using (var stream = SourceFile.OpenRead(path))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes + 8);
            var chars = ArrayPool<char>.Shared.Rent(ChunkBytes + 8);
            try
            {
                int filled = await ReadAtLeastAsync(stream, buffer, Math.Min(SniffBytes, ChunkBytes), cancellationToken).ConfigureAwait(false);
                var (encoding, bomLength) = DetectBom(buffer.AsSpan(0, filled));
                if (encoding is null && LooksBinary(buffer.AsSpan(0, filled)))
                    throw new ExtractionException(path, "looks like a binary file, not text (NUL or control bytes in the first 8 KB)");

                long consumedBase = 0; // file offset of buffer[0]
                int start = bomLength;
                if (encoding is null)
                {
                    long? firstInvalid = null;
                    int invalidCount = 0;
                    while (true)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int pos = start;
                        while (pos < filled)
                        {
                            var status = Utf8.ToUtf16(buffer.AsSpan(pos, filled - pos), chars, out int read, out int written,
                                replaceInvalidSequences: false, isFinalBlock: false);
                            paragraphs.Feed(chars.AsSpan(0, written));
                            pos += read;
                            if (status == System.Buffers.OperationStatus.InvalidData)
                            {
                                _ = Rune.DecodeFromUtf8(buffer.AsSpan(pos, filled - pos), out _, out int skip);
                                firstInvalid ??= consumedBase + pos;
                                invalidCount++;
                                paragraphs.Feed("\uFFFD");
                                pos += Math.Max(1, skip);
                            }
                            else if (status == System.Buffers.OperationStatus.NeedMoreData) break;
                        }
                        // Keep an incomplete trailing sequence (at most 3 bytes) for the next read.
                        int left = filled - pos;
                        Buffer.BlockCopy(buffer, pos, buffer, 0, left);
                        consumedBase += pos;
                        int n = await stream.ReadAsync(buffer.AsMemory(left, ChunkBytes), cancellationToken).ConfigureAwait(false);
                        filled = left + n;
                        start = 0;
                        if (n == 0)
                        {
                            if (left > 0)
                            {
                                firstInvalid ??= consumedBase;
                                invalidCount++;
                                paragraphs.Feed("\uFFFD");
                            }
                            break;
                        }
                    }
                    if (firstInvalid is { } offset)
                        builder.Warn($"invalid UTF-8: {invalidCount:N0} invalid byte sequence(s) replaced with U+FFFD; the first at byte offset {offset:N0}");
                }
                else
                {
                    var decoder = encoding.GetDecoder();
                    int replaced = 0;
                    while (true)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int n = decoder.GetChars(buffer, start, filled - start, chars, 0, flush: false);
                        replaced += chars.AsSpan(0, n).Count('\uFFFD');
                        paragraphs.Feed(chars.AsSpan(0, n));
                        filled = await stream.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken).ConfigureAwait(false);
                        start = 0;
                        if (filled == 0)
                        {
                            n = decoder.GetChars([], 0, 0, chars, 0, flush: true);
                            replaced += chars.AsSpan(0, n).Count('\uFFFD');
                            paragraphs.Feed(chars.AsSpan(0, n));
                            break;
                        }
                    }
                    if (replaced > 0) builder.Warn($"{replaced:N0} invalid {encoding.WebName} code unit sequence(s) replaced with U+FFFD");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                ArrayPool<char>.Shared.Return(chars);
            }
        }
        paragraphs.Flush();
        return builder.Build(path, null, hash, size, "text/plain");
    }

    private static async Task<int> ReadAtLeastAsync(Stream stream, byte[] buffer, int count, CancellationToken ct)
        => await stream.ReadAtLeastAsync(buffer.AsMemory(0, count), count, throwOnEndOfStream: false, ct).ConfigureAwait(false);

    /// <summary>Detects a byte order mark; null encoding means UTF-8 (with or without a BOM).</summary>
    internal static (Encoding? Encoding, int BomLength) DetectBom(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) return (new UTF32Encoding(false, false), 4);
        if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) return (new UTF32Encoding(true, false), 4);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return (null, 3);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return (new UnicodeEncoding(false, false), 2);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return (new UnicodeEncoding(true, false), 2);
        return (null, 0);
    }

    /// <summary>True when the sample holds a NUL byte or more than 10% control bytes other than tab, CR, LF, FF, VT, ESC.</summary>
    internal static bool LooksBinary(ReadOnlySpan<byte> sample)
    {
        if (sample.Contains((byte)0)) return true;
        int control = 0;
        foreach (var b in sample)
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0C or 0x0B or 0x1B)) control++;
        return sample.Length > 0 && control * 10 > sample.Length;
    }

    /// <summary>Cuts a character stream into paragraphs at blank lines and hands them to the builder.</summary>
    private sealed class ParagraphSplitter(ExtractedDocumentBuilder builder, int maxBlockChars)
    {
        private readonly StringBuilder _paragraph = new();
        private bool _lineHasText;
        private bool _pendingNewline;

        public void Feed(ReadOnlySpan<char> text)
        {
            foreach (var c in text)
            {
                if (c == '\n')
                {
                    if (!_lineHasText)
                    {
                        // A blank line ends the paragraph.
                        Flush();
                        continue;
                    }
                    _lineHasText = false;
                    _pendingNewline = true;
                    continue;
                }
                if (c == '\r') continue;
                if (!_lineHasText && char.IsWhiteSpace(c)) { continue; }
                // Cut an overlong paragraph at a space (or hard, at twice the limit, if it has none).
                if (_paragraph.Length >= maxBlockChars && (char.IsWhiteSpace(c) || _paragraph.Length >= 2 * maxBlockChars))
                {
                    Flush();
                    if (char.IsWhiteSpace(c)) continue;
                }
                if (_pendingNewline) { _paragraph.Append('\n'); _pendingNewline = false; }
                _lineHasText = true;
                _paragraph.Append(c);
            }
        }

        public void Flush()
        {
            if (_paragraph.Length > 0) builder.AddBlock(BlockKind.Paragraph, _paragraph.ToString());
            _paragraph.Clear();
            _pendingNewline = false;
        }
    }
}
