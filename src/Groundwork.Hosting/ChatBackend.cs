using Groundwork.Ingestion.Tokenization;
using Groundwork.Models.Chat;
using Groundwork.Models.OpenAI;
using Groundwork.Models.Transformers;
using Groundwork.Text;
using Microsoft.Extensions.AI;

namespace Groundwork.Hosting;

/// <summary>Which model answers: a local GGUF file, or an OpenAI-compatible endpoint.</summary>
public sealed record ModelOptions
{
    /// <summary>A local GGUF model file (run by the built-in runtime).</summary>
    public string? ModelPath { get; init; }
    /// <summary>An OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1.</summary>
    public Uri? Endpoint { get; init; }
    /// <summary>The model name at the endpoint.</summary>
    public string? ModelName { get; init; }
    /// <summary>Environment variable holding the endpoint's API key.</summary>
    public string ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";
    /// <summary>Context window to plan for; default: the GGUF's, or 8192 for endpoints.</summary>
    public int? ContextWindow { get; init; }
    /// <summary>Chat template override for local models (chatml, llama3, mistral, zephyr, llama2).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// A LoRA adapter applied to a local model without merging: a GGUF file (llama.cpp's format) or a PEFT folder
    /// (adapter_config.json + adapter_model.safetensors).
    /// </summary>
    public string? AdapterPath { get; init; }

    /// <summary>Whether any model is configured.</summary>
    public bool IsConfigured => ModelPath is not null || Endpoint is not null;
}

/// <summary>
/// An open chat model with what the answer pipeline needs from it: the client, the tokenizer its context is measured
/// with, and its window. For endpoints the tokenizer is Groundwork's model-free default (an approximation: leave a
/// margin in the window).
/// </summary>
public sealed class ChatBackend : IDisposable
{
    private readonly IDisposable? _owned;

    private ChatBackend(IChatClient chat, ITokenizer tokenizer, int contextWindow, string modelId, IDisposable? owned)
    {
        Chat = chat;
        Tokenizer = tokenizer;
        ContextWindow = contextWindow;
        ModelId = modelId;
        _owned = owned;
    }

    /// <summary>The chat client.</summary>
    public IChatClient Chat { get; }
    /// <summary>The tokenizer prompts are measured with.</summary>
    public ITokenizer Tokenizer { get; }
    /// <summary>The context window in tokens.</summary>
    public int ContextWindow { get; }
    /// <summary>Model identity for logs and caches.</summary>
    public string ModelId { get; }
    /// <summary>The local model, when one is loaded.</summary>
    public LlamaModel? LocalModel => _owned as LlamaModel;

    /// <summary>Opens the configured model.</summary>
    /// <exception cref="ArgumentException">Neither or both of a model file and an endpoint are configured.</exception>
    public static async Task<ChatBackend> OpenAsync(ModelOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoint is not null)
        {
            if (options.AdapterPath is not null) throw new ArgumentException("--adapter works with a local --model FILE.gguf, not with --endpoint");
            if (string.IsNullOrWhiteSpace(options.ModelName))
                throw new ArgumentException("--endpoint needs --model NAME (the model name at the endpoint)");
            var client = new OpenAiCompatibleChatClient(new OpenAiEndpointOptions
            {
                Endpoint = options.Endpoint,
                Model = options.ModelName,
                ApiKeyEnvironmentVariable = options.ApiKeyEnvironmentVariable,
            });
            return new ChatBackend(client, new DefaultTokenizer(), options.ContextWindow ?? 8192, options.ModelName, null);
        }
        if (options.ModelPath is null) throw new ArgumentException("no model configured: pass --model FILE.gguf, or --endpoint URL --model NAME");
        if (!File.Exists(options.ModelPath)) throw new FileNotFoundException($"{options.ModelPath}: model file not found");
        var model = LlamaModel.Load(options.ModelPath, new ModelLoadOptions { ContextLength = options.ContextWindow, ChatTemplate = options.ChatTemplate });
        IProjectionAdapter? adapter = null;
        if (options.AdapterPath is { } adapterPath)
        {
            try
            {
                if (!File.Exists(adapterPath) && !Directory.Exists(adapterPath)) throw new FileNotFoundException($"{adapterPath}: adapter file or PEFT folder not found");
                adapter = await Groundwork.Training.LoraAdapter.LoadAsync(adapterPath, model.Config, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                model.Dispose(); // the caller never sees the model when its adapter cannot be used
                throw;
            }
        }
        var chat = new LocalChatClient(model, new LocalChatClientOptions { ChatTemplate = options.ChatTemplate, Adapter = adapter });
        var id = adapter is null ? model.Name : $"{model.Name}+{Path.GetFileNameWithoutExtension(options.AdapterPath)}";
        return new ChatBackend(chat, model.Tokenizer, model.ContextLength, id, model);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Chat.Dispose();
        _owned?.Dispose();
    }
}
