using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>The checks and reads every extractor does on its input file, with one-line errors.</summary>
internal static class SourceFile
{
    /// <summary>Checks that <paramref name="path"/> is an existing, non-empty file within the size limit; returns its length.</summary>
    public static long CheckReadable(string path, ExtractionOptions options)
    {
        if (Directory.Exists(path)) throw new ExtractionException(path, "not a readable file (it is a directory)");
        var info = new FileInfo(path);
        if (!info.Exists) throw new ExtractionException(path, "file not found");
        if (info.Length == 0) throw new ExtractionException(path, "empty file");
        if (info.Length > options.MaxFileBytes)
            throw new ExtractionException(path, $"file too large: {info.Length:N0} bytes exceeds the limit of {options.MaxFileBytes:N0} bytes (ExtractionOptions.MaxFileBytes)");
        return info.Length;
    }

    /// <summary>Opens the file for sequential asynchronous reading, turning OS errors into <see cref="ExtractionException"/>.</summary>
    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (UnauthorizedAccessException e) { throw new ExtractionException(path, "permission denied", e); }
        catch (FileNotFoundException e) { throw new ExtractionException(path, "file not found", e); }
        catch (DirectoryNotFoundException e) { throw new ExtractionException(path, "file not found", e); }
        catch (IOException e) { throw new ExtractionException(path, "cannot read: " + OneLine(e.Message), e); }
    }

    /// <summary>Lower-case hex SHA-256 of the file's bytes, streamed.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(path);
        return await ContentHash.OfStreamAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the whole file (for formats that need it in memory; the size limit was checked first).</summary>
    public static async Task<byte[]> ReadAllAsync(string path, CancellationToken cancellationToken)
    {
        try { return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false); }
        catch (UnauthorizedAccessException e) { throw new ExtractionException(path, "permission denied", e); }
        catch (FileNotFoundException e) { throw new ExtractionException(path, "file not found", e); }
        catch (IOException e) { throw new ExtractionException(path, "cannot read: " + OneLine(e.Message), e); }
    }

    /// <summary>First line of a message, trimmed, so reasons stay one line.</summary>
    public static string OneLine(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return "unknown error";
        var s = message.Trim();
        var nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl].TrimEnd();
    }
}
