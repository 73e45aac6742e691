using System.CommandLine;
using System.Globalization;
using Groundwork.Cli.Output;
using Groundwork.Hosting;
using Groundwork.Retrieval.Search;
using Groundwork.Storage;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork search "query" [-k N] [--mode keyword|vector|hybrid] [--embedding-model FILE.gguf | --embedding-endpoint URL
/// --embedding-model NAME] [--fusion rrf|weighted] [--vector-weight W] [--mmr LAMBDA] [--tag k=v] [--reranker FILE.gguf]`.
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "What to look for" };
        var top = new Option<int>("-k", "--top") { Description = "Number of results", DefaultValueFactory = _ => 10 };
        var mode = new Option<SearchMode>("--mode") { Description = "keyword, vector or hybrid", DefaultValueFactory = _ => SearchMode.Keyword };
        var fusion = new Option<string>("--fusion") { Description = "Hybrid fusion: rrf (reciprocal rank) or weighted (normalised scores)", DefaultValueFactory = _ => "rrf" };
        var weight = new Option<double>("--vector-weight") { Description = "Weight of the vector list in weighted fusion (0-1)", DefaultValueFactory = _ => 0.5 };
        var mmr = new Option<double?>("--mmr") { Description = "Diversify with maximal marginal relevance, lambda 0-1 (1 = relevance only)" };
        var tags = new Option<string[]>("--tag") { Description = "Only documents with this tag: key=value (repeatable)" };
        var reranker = new Option<string?>("--reranker") { Description = "A cross-encoder reranking GGUF (BERT, pooling rank): reorders the top max(4k, 20) candidates" };
        var embedding = new EmbeddingCliOptions();
        var command = new Command("search", "Find the chunks that best match a query") { query, top, mode, fusion, weight, mmr, tags, reranker };
        embedding.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var searchMode = result.GetValue(mode);
            var mmrLambda = result.GetValue(mmr);
            if (embedding.Read(result) is { } embeddingOptions) ws.UseEmbeddingModel(embeddingOptions);
            else if (searchMode != SearchMode.Keyword || mmrLambda is not null)
                throw new ArgumentException($"--mode {searchMode.ToString().ToLowerInvariant()}{(mmrLambda is null ? "" : " with --mmr")} needs --embedding-model FILE.gguf (or --embedding-endpoint URL --embedding-model NAME)");
            var fusionMethod = (result.GetValue(fusion) ?? "rrf").ToLowerInvariant() switch
            {
                "rrf" or "reciprocal" => FusionMethod.Reciprocal,
                "weighted" => FusionMethod.Weighted,
                var other => throw new ArgumentException($"--fusion '{other}': expected rrf or weighted"),
            };
            int k = result.GetValue(top);
            using var cross = result.GetValue(reranker) is { } rerankerPath ? CrossEncoderReranker.Load(rerankerPath) : null;
            var request = new SearchRequest(result.GetValue(query) ?? "", cross is null ? k : Math.Max(4 * k, 20), searchMode, TagFilter(result.GetValue(tags)))
            {
                Fusion = fusionMethod,
                VectorWeight = result.GetValue(weight),
                MmrLambda = mmrLambda,
            };
            var hits = await ws.Retriever.SearchAsync(request, token).ConfigureAwait(false);
            if (cross is not null) hits = await cross.RerankAsync(request.Query, hits, k, token).ConfigureAwait(false);
            if (json)
            {
                JsonOutput.Write(hits.Select((h, i) => new
                {
                    rank = i + 1,
                    score = Math.Round(h.Score, 4),
                    path = h.Document.SourcePath,
                    title = h.Document.Title,
                    section = h.Chunk.SectionPath,
                    pageStart = h.Chunk.PageStart,
                    pageEnd = h.Chunk.PageEnd,
                    chunkId = h.Chunk.Id,
                    startOffset = h.Chunk.StartOffset,
                    endOffset = h.Chunk.EndOffset,
                    snippet = h.Snippet,
                }));
                return GroundworkCli.Ok;
            }
            if (hits.Count == 0) Console.Out.WriteLine("No matches.");
            for (int i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                Console.Out.WriteLine($"{i + 1,2}. {h.Score,7:0.000}  {Display.Location(h)}");
                Console.Out.WriteLine("     " + h.Snippet.ReplaceLineEndings(" "));
            }
            return GroundworkCli.Ok;
        }));
        return command;
    }

    private static SearchFilter? TagFilter(string[]? tags)
    {
        if (tags is not { Length: > 0 }) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in tags)
        {
            int eq = t.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"--tag '{t}': expected key=value");
            map[t[..eq]] = t[(eq + 1)..];
        }
        return new SearchFilter { Tags = map };
    }
}

/// <summary>The options that choose an embedding model: a BERT GGUF file, or an OpenAI-compatible endpoint and model name.</summary>
internal sealed class EmbeddingCliOptions
{
    public Option<string?> Model { get; } = new("--embedding-model") { Description = "A BERT GGUF embedding model file, or the embedding model name at --embedding-endpoint" };
    public Option<string?> Endpoint { get; } = new("--embedding-endpoint") { Description = "OpenAI-compatible base URL for embeddings, e.g. http://127.0.0.1:11434/v1" };
    public Option<string> ApiKeyEnv { get; } = new("--embedding-api-key-env") { Description = "Environment variable holding the embedding endpoint's API key", DefaultValueFactory = _ => "OPENAI_API_KEY" };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Endpoint);
        command.Options.Add(ApiKeyEnv);
    }

    /// <summary>The configured model, or null when neither option was given.</summary>
    public EmbeddingModelOptions? Read(ParseResult result)
    {
        var endpoint = result.GetValue(Endpoint);
        var model = result.GetValue(Model);
        if (endpoint is null && model is null) return null;
        if (endpoint is not null && model is null) throw new ArgumentException("--embedding-endpoint needs --embedding-model NAME (the model name at the endpoint)");
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--embedding-endpoint '{endpoint}': not an absolute URL"));
        return new EmbeddingModelOptions
        {
            Endpoint = endpoint is null ? null : new Uri(endpoint, UriKind.Absolute),
            ModelName = endpoint is null ? null : model,
            ModelPath = endpoint is null ? model : null,
            ApiKeyEnvironmentVariable = result.GetValue(ApiKeyEnv) ?? "OPENAI_API_KEY",
        };
    }
}
