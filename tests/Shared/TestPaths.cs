namespace Groundwork.Testing;

/// <summary>Locates the repository and the shared data beside it, wherever the tests run from.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Groundwork.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Groundwork.slnx not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (the folder holding Groundwork.slnx).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>A path under ../shared (read-only data beside the repository).</summary>
    public static string Shared(params string[] parts) => Path.GetFullPath(Path.Combine([RepoRoot, "..", "shared", .. parts]));

    /// <summary>A path under the repository.</summary>
    public static string Repo(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    /// <summary>Creates a fresh temporary directory that is deleted when disposed.</summary>
    public static TempDir CreateTempDir(string prefix = "gw") => new(prefix);
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
