using System.Globalization;
using System.Text;
using System.Text.Json;
using Groundwork.Storage;

namespace Groundwork.Answering.Generation;

/// <summary>Caches answers by (normalised question, collection version, model, settings).</summary>
public interface IAnswerCache
{
    /// <summary>The cached answer for <paramref name="key"/>, or null.</summary>
    Task<Answer?> GetAsync(string key, CancellationToken cancellationToken = default);
    /// <summary>Stores an answer.</summary>
    Task SetAsync(string key, Answer answer, CancellationToken cancellationToken = default);
}

/// <summary>
/// An answer cache inside the collection itself. Keys include the collection version, so any ingest, update or
/// removal makes every earlier entry unreachable: a changed collection never serves a stale answer.
/// </summary>
public sealed class CollectionAnswerCache(ICollectionStore store) : IAnswerCache
{
    private const string Prefix = "answer-cache/";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The cache key of a question asked of a collection version with a model and settings.</summary>
    public static string Key(string question, long collectionVersion, string model, string settings)
    {
        var normalized = new StringBuilder();
        foreach (var word in question.ToLower(CultureInfo.InvariantCulture).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            normalized.Append(word.Trim('?', '!', '.', ',', ';', ':', '"', '\'')).Append(' ');
        return ContentHash.Of($"{normalized.ToString().Trim()}\n{collectionVersion}\n{model}\n{settings}");
    }

    /// <inheritdoc />
    public async Task<Answer?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var json = await store.GetSettingAsync(Prefix + key, cancellationToken).ConfigureAwait(false);
        if (json is null) return null;
        try { return JsonSerializer.Deserialize<Answer>(json, Json); }
        catch (JsonException) { return null; } // an entry from an older format is a miss, not an error
    }

    /// <inheritdoc />
    public Task SetAsync(string key, Answer answer, CancellationToken cancellationToken = default)
        => store.SetSettingAsync(Prefix + key, JsonSerializer.Serialize(answer, Json), cancellationToken);
}
