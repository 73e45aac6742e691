using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;

namespace Groundwork.Evaluation.Datasets;

/// <summary>Streams the lines of a UTF-8 text file (optionally gzip-compressed) with 1-based line numbers.</summary>
internal static class TextLines
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens a text file for reading; a name ending in <c>.gz</c> is decompressed on the fly. A BOM is skipped.</summary>
    public static StreamReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        try
        {
            Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionMode.Decompress)
                : file;
            return new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, BufferSize);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Every line with its number; blank lines included (callers decide).</summary>
    public static async IAsyncEnumerable<(int Number, string Text)> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = Open(path);
        var number = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DecoderFallbackException ex)
            {
                throw new InvalidDataException($"{path}:{number + 1}: not valid UTF-8 ({ex.Message})", ex);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path}:{number + 1}: corrupt gzip stream ({ex.Message})", ex);
            }
            if (line is null) yield break;
            number++;
            yield return (number, line);
        }
    }
}
