using System.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Retrieval.Tests.Hybrid;

/// <summary>
/// A deterministic embedding model for tests: lower-cased words (synonyms mapped to one word first) hashed into
/// <see cref="Dimensions"/> buckets, counts L2-normalised. Counts every call and text so tests can prove cache hits;
/// <see cref="Gate"/>, when set, holds every call until it completes.
/// </summary>
internal sealed class BagOfWordsEmbedder(string modelId = "bow-64", int dimensions = 64, IReadOnlyDictionary<string, string>? synonyms = null)
    : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _calls, _texts;

    public int Dimensions { get; } = dimensions;
    public string ModelId { get; } = modelId;
    public int Calls => Volatile.Read(ref _calls);
    public int Texts => Volatile.Read(ref _texts);
    public List<string> Seen { get; } = [];
    public TaskCompletionSource? Gate { get; set; }
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values.ToList();
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _texts, texts.Count);
        lock (Seen) Seen.AddRange(texts);
        Entered.TrySetResult();
        if (Gate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        foreach (var t in texts) result.Add(new Embedding<float>(Embed(t)) { ModelId = ModelId });
        return result;
    }

    public float[] Embed(string text)
    {
        var v = new float[Dimensions];
        foreach (var raw in text.ToLowerInvariant().Split((char[]?)[' ', '\n', '\t', '.', ',', ';', ':', '?', '!', '(', ')', '"', '\''], StringSplitOptions.RemoveEmptyEntries))
        {
            var word = synonyms is not null && synonyms.TryGetValue(raw, out var s) ? s : raw;
            v[Bucket(word)] += 1f;
        }
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }

    private int Bucket(string word)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(word)) h = (h ^ b) * 16777619;
        return (int)(h % (uint)Dimensions);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("test-bow", null, ModelId, Dimensions)
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}
