using System.Runtime.CompilerServices;
using System.Text;
using Groundwork.Models.Sampling;
using Groundwork.Models.Transformers;
using Microsoft.Extensions.AI;

namespace Groundwork.Models.Chat;

/// <summary>Options for <see cref="LocalChatClient"/>.</summary>
public sealed record LocalChatClientOptions
{
    /// <summary>Sampling used where <see cref="ChatOptions"/> leaves a field unset.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>The reply length limit where <see cref="ChatOptions.MaxOutputTokens"/> is unset.</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>A chat template to use instead of the model's (see <see cref="ChatTemplate.Names"/>).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>A LoRA adapter applied to every session of this client without merging (several clients can share one base model).</summary>
    public Transformers.IProjectionAdapter? Adapter { get; init; }

    /// <summary>
    /// Named adapters over the same base weights that a request selects with <see cref="ChatOptions.ModelId"/>, the way
    /// multi-LoRA servers route by model name. A request without a ModelId, or naming the base model, uses
    /// <see cref="Adapter"/>; with adapters configured, any other name is refused (<see cref="ArgumentException"/>).
    /// </summary>
    public IReadOnlyDictionary<string, Transformers.IProjectionAdapter>? Adapters { get; init; }

    /// <summary>Idle sessions (KV caches) kept for reuse; further sessions are dropped after their call.</summary>
    public int MaxPooledSessions { get; init; } = 4;
}

/// <summary>
/// An <see cref="IChatClient"/> over a local <see cref="LlamaModel"/>. Each call rents a session (its own KV cache)
/// from a small pool, so concurrent calls from several threads run independently over the shared weights; a rented
/// session keeps the KV entries of the prompt prefix it shares with the previous conversation it served.
/// <see cref="ChatOptions"/> mapping: Temperature, TopP, TopK, MaxOutputTokens, StopSequences, Seed, FrequencyPenalty
/// and PresencePenalty map to the sampler (penalties over the last 64 tokens); ModelId selects one of
/// <see cref="LocalChatClientOptions.Adapters"/> per request; other fields are ignored.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly LocalChatClientOptions _options;
    private readonly ChatTemplate _template;
    private readonly List<InferenceSession> _pool = []; // idle sessions; guarded by _poolLock
    private readonly Lock _poolLock = new();
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a client; the caller keeps ownership of <paramref name="model"/>.</summary>
    public LocalChatClient(LlamaModel model, LocalChatClientOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _options = options ?? new LocalChatClientOptions();
        _template = _options.ChatTemplate is { } name ? ChatTemplate.FromName(name, model.EosText) : model.Template;
        _metadata = new ChatClientMetadata("groundwork-local", null, model.Name);
    }

    /// <summary>The chat template in use.</summary>
    public ChatTemplate Template => _template;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        GenerationStats? stats = null;
        var (_, modelId) = SelectAdapter(options);
        await foreach (var (piece, s) in RunAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(piece);
            stats ??= s;
        }

        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = modelId,
            CreatedAt = DateTimeOffset.UtcNow,
            ResponseId = Guid.NewGuid().ToString("N"),
        };
        if (stats is not null)
        {
            response.FinishReason = MapFinish(stats.FinishReason);
            response.Usage = Usage(stats);
        }

        return response;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string responseId = Guid.NewGuid().ToString("N");
        var (_, modelId) = SelectAdapter(options);
        await foreach (var (piece, stats) in RunAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (stats is null)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = responseId, MessageId = responseId, ModelId = modelId };
                continue;
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(stats))])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId,
                FinishReason = MapFinish(stats.FinishReason),
            };
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(LlamaModel)) return _model;
        if (serviceType == typeof(LlamaConfig)) return _model.Config;
        if (serviceType == typeof(ChatTemplate)) return _template;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Drops the pooled sessions; the model is not disposed.</summary>
    public void Dispose()
    {
        lock (_poolLock) _pool.Clear();
    }

    /// <summary>The adapter a request asks for (<see cref="LocalChatClientOptions.Adapters"/>) and the model id to report.</summary>
    private (IProjectionAdapter? Adapter, string ModelId) SelectAdapter(ChatOptions? options)
    {
        var id = options?.ModelId;
        if (string.IsNullOrEmpty(id) || id == _model.Name || _options.Adapters is not { Count: > 0 } named)
            return (_options.Adapter, _model.Name);
        if (named.TryGetValue(id, out var adapter)) return (adapter, id);
        throw new ArgumentException(
            $"unknown model '{id}': this client serves '{_model.Name}' and the adapters {string.Join(", ", named.Keys.Order(StringComparer.Ordinal).Select(k => "'" + k + "'"))}",
            nameof(options));
    }

    /// <summary>
    /// Takes the idle session with <paramref name="adapter"/> whose cached tokens share the longest prefix with
    /// <paramref name="prompt"/>, or a new one (a KV cache computed under one adapter is no use to another).
    /// </summary>
    private InferenceSession Rent(int[] prompt, IProjectionAdapter? adapter)
    {
        lock (_poolLock)
        {
            int best = -1, bestLength = -1;
            for (int i = 0; i < _pool.Count; i++)
            {
                if (!ReferenceEquals(_pool[i].Adapter, adapter)) continue;
                int n = _pool[i].Tokens.CommonPrefixLength(prompt);
                if (n > bestLength) (best, bestLength) = (i, n);
            }

            if (best >= 0)
            {
                var s = _pool[best];
                _pool.RemoveAt(best);
                return s;
            }
        }

        var session = _model.CreateSession();
        session.Adapter = adapter;
        return session;
    }

    private void Return(InferenceSession session)
    {
        lock (_poolLock)
        {
            if (_pool.Count < _options.MaxPooledSessions) _pool.Add(session);
        }
    }

    /// <summary>Text pieces (stats null), then one final item with the stats (text empty).</summary>
    private async IAsyncEnumerable<(string Piece, GenerationStats? Stats)> RunAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = messages.Select(m => new ChatTurn(RoleName(m.Role), m.Text)).ToList();
        string prompt = _template.Render(turns, addAssistantPrompt: true);
        var generation = MapOptions(chatOptions);
        var (adapter, _) = SelectAdapter(chatOptions);
        var tokens = TextGenerator.EncodePrompt(_model, prompt, generation);
        var session = Rent(tokens, adapter);
        try
        {
            var generator = new TextGenerator(session);
            await foreach (var piece in generator.GenerateAsync(tokens, generation, ct).ConfigureAwait(false))
                if (piece.Text.Length > 0) yield return (piece.Text, null);
            yield return ("", generator.LastStats);
        }
        finally
        {
            Return(session);
        }
    }

    private GenerationOptions MapOptions(ChatOptions? o)
    {
        var d = _options.Sampling;
        var sampling = d with
        {
            Temperature = o?.Temperature ?? d.Temperature,
            TopP = o?.TopP ?? d.TopP,
            TopK = o?.TopK ?? d.TopK,
            Seed = o?.Seed is { } seed ? unchecked((int)(seed ^ (seed >> 32))) : d.Seed,
            FrequencyPenalty = o?.FrequencyPenalty ?? d.FrequencyPenalty,
            PresencePenalty = o?.PresencePenalty ?? d.PresencePenalty,
        };
        var stops = new List<string>(_template.StopSequences);
        if (o?.StopSequences is { } extra) stops.AddRange(extra);
        return new GenerationOptions
        {
            MaxTokens = o?.MaxOutputTokens ?? _options.MaxOutputTokens,
            Sampling = sampling,
            StopSequences = stops,
        };
    }

    private static string RoleName(ChatRole role)
    {
        if (role == ChatRole.System) return "system";
        if (role == ChatRole.Assistant) return "assistant";
        if (role == ChatRole.User) return "user";
        return role.Value;
    }

    private static ChatFinishReason MapFinish(GenerationFinishReason reason)
        => reason is GenerationFinishReason.MaxTokens or GenerationFinishReason.ContextFull ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationStats s) => new()
    {
        InputTokenCount = s.PromptTokens,
        OutputTokenCount = s.GeneratedTokens,
        TotalTokenCount = s.PromptTokens + s.GeneratedTokens,
    };
}
