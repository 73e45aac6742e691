namespace Groundwork.Storage.Sqlite;

/// <summary>
/// Collections as SQLite files: collection <c>name</c> lives in <c>&lt;root&gt;/name.gwdb</c> (plus <c>-wal</c> and
/// <c>-shm</c> files while open). Names are 1-64 ASCII letters, digits, '-' or '_', so they are safe file names.
/// </summary>
public sealed class SqliteStoreProvider : IStoreProvider
{
    /// <summary>The extension of collection files.</summary>
    public const string FileExtension = ".gwdb";

    private const int MaxNameLength = 64;

    /// <summary>Creates a provider over <paramref name="rootDirectory"/> (created on first open).</summary>
    public SqliteStoreProvider(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        RootDirectory = Path.GetFullPath(rootDirectory);
    }

    /// <summary>The folder holding the collection files.</summary>
    public string RootDirectory { get; }

    /// <summary>The file of collection <paramref name="name"/>; throws <see cref="ArgumentException"/> for an invalid name.</summary>
    public string GetCollectionPath(string name)
    {
        ValidateName(name);
        return Path.Combine(RootDirectory, name + FileExtension);
    }

    /// <inheritdoc />
    public async Task<ICollectionStore> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = GetCollectionPath(name);
        Directory.CreateDirectory(RootDirectory);
        return await SqliteCollectionStore.OpenAsync(path, name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(RootDirectory)) return Task.FromResult<IReadOnlyList<string>>([]);
        var names = Directory.EnumerateFiles(RootDirectory, "*" + FileExtension)
            .Where(f => f.EndsWith(FileExtension, StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(IsValidName)
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<string>>(names);
    }

    /// <summary>True when <paramref name="name"/> is 1-64 ASCII letters, digits, '-' or '_'.</summary>
    public static bool IsValidName(string? name)
        => name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static void ValidateName(string? name)
    {
        if (!IsValidName(name))
            throw new ArgumentException(
                $"invalid collection name '{name}': use 1-{MaxNameLength} ASCII letters, digits, '-' or '_'", nameof(name));
    }
}
