using System.Text;
using System.Text.Unicode;
using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>Decodes a whole text file held in memory (Markdown, HTML without a declared charset).</summary>
internal static class TextDecoding
{
    /// <summary>Decodes by BOM (UTF-8 otherwise), rejecting binary content and warning about invalid UTF-8.</summary>
    public static string Decode(byte[] bytes, string path, ExtractedDocumentBuilder builder)
    {
        var (encoding, bom) = PlainTextExtractor.DetectBom(bytes);
        if (encoding is not null) return encoding.GetString(bytes, bom, bytes.Length - bom);
        if (PlainTextExtractor.LooksBinary(bytes.AsSpan(0, Math.Min(bytes.Length, 8192))))
            throw new ExtractionException(path, "looks like a binary file, not text (NUL or control bytes in the first 8 KB)");
        var span = bytes.AsSpan(bom);
        if (!Utf8.IsValid(span))
        {
            int offset = FirstInvalid(span);
            builder.Warn($"invalid UTF-8 replaced with U+FFFD; the first invalid byte sequence is at byte offset {offset + bom:N0}");
        }
        return Encoding.UTF8.GetString(span);
    }

    private static int FirstInvalid(ReadOnlySpan<byte> span)
    {
        int pos = 0;
        while (pos < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[pos..], out _, out int n) != System.Buffers.OperationStatus.Done) return pos;
            pos += n;
        }
        return span.Length;
    }
}
