using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Retrieval.Hybrid;

/// <summary>Names and keys that tie vectors to the model that made them and to the chunks they describe.</summary>
public static class EmbeddingModels
{
    /// <summary>The collection setting naming the embedding model its vector index was built with.</summary>
    public const string ModelSettingKey = "embedding.model";

    /// <summary>
    /// The model id of <paramref name="generator"/>: its <see cref="EmbeddingGeneratorMetadata.DefaultModelId"/>. A
    /// generator that reports none is refused, since cached vectors and indexes are keyed by it.
    /// </summary>
    public static string IdOf(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var id = generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;
        if (string.IsNullOrWhiteSpace(id))
            throw new ArgumentException("the embedding generator reports no model id (EmbeddingGeneratorMetadata.DefaultModelId); pass one explicitly", nameof(generator));
        return id;
    }

    /// <summary>
    /// A file-name-safe form of a model id: lower-case letters, digits, '.', '-' and '_' kept, anything else '-', plus
    /// 8 hex digits of its SHA-256 so that ids differing only in dropped characters do not share a file.
    /// </summary>
    public static string Slug(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        var sb = new StringBuilder(modelId.Length + 9);
        foreach (char c in modelId.ToLowerInvariant())
            sb.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-' or '_' ? c : '-');
        var head = sb.ToString().Trim('-', '.');
        if (head.Length > 60) head = head[..60];
        return head + "-" + ContentHash.Of(modelId)[..8];
    }

    /// <summary>The vector-index file of <paramref name="collection"/> for <paramref name="modelId"/>: <c>&lt;collection&gt;.&lt;model-slug&gt;.vec</c>.</summary>
    public static string IndexPath(string storeDirectory, string collection, string modelId)
        => Path.Combine(storeDirectory, collection + "." + Slug(modelId) + ".vec");

    /// <summary>The stable 64-bit key of a chunk id in vector indexes (the first 8 bytes of its SHA-256).</summary>
    public static long KeyOf(string chunkId)
    {
        ArgumentNullException.ThrowIfNull(chunkId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(chunkId), hash);
        return BitConverter.ToInt64(hash[..8]);
    }

    internal static string Mismatch(string collection, string indexedWith, string queryModel)
        => string.Create(CultureInfo.InvariantCulture,
            $"collection '{collection}' is indexed with embedding model '{indexedWith}'; this query was embedded with '{queryModel}'");
}
