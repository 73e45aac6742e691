namespace Groundwork.Retrieval.Vectors;

/// <summary>Crash-safe replacement of a file: readers (and a restart after a crash) see the old file or the whole new one.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through a temporary sibling: <paramref name="write"/> fills it, it is flushed to
    /// disk, then renamed over the target. On any failure the temporary file is removed and the old file is untouched.
    /// <paramref name="beforeRename"/> (a test hook) runs between the flush and the rename.
    /// </summary>
    public static void Replace(string path, int bufferSize, Action<FileStream> write, Action<string>? beforeRename, CancellationToken cancellationToken)
    {
        string tmp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            beforeRename?.Invoke(path);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
