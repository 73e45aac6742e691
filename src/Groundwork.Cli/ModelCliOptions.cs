using System.CommandLine;
using Groundwork.Hosting;

namespace Groundwork.Cli;

/// <summary>The options that choose a model: a GGUF file, or an OpenAI-compatible endpoint and model name.</summary>
internal sealed class ModelCliOptions
{
    public Option<string?> Model { get; } = new("--model", "-m") { Description = "A GGUF model file, or the model name at --endpoint" };
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1" };
    public Option<string> ApiKeyEnv { get; } = new("--api-key-env") { Description = "Environment variable holding the API key", DefaultValueFactory = _ => "OPENAI_API_KEY" };
    public Option<int?> Context { get; } = new("--context") { Description = "Context window in tokens (default: the model's)" };
    public Option<string?> Template { get; } = new("--chat-template") { Description = "Chat template override: chatml, llama3, mistral, zephyr, llama2" };
    public Option<string?> Adapter { get; } = new("--adapter") { Description = "A LoRA adapter (GGUF file or PEFT folder) applied to the local model without merging" };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Endpoint);
        command.Options.Add(ApiKeyEnv);
        command.Options.Add(Context);
        command.Options.Add(Template);
        command.Options.Add(Adapter);
    }

    public ModelOptions Read(ParseResult result)
    {
        var endpoint = result.GetValue(Endpoint);
        var model = result.GetValue(Model);
        return new ModelOptions
        {
            Endpoint = endpoint is null ? null : new Uri(endpoint, UriKind.Absolute),
            ModelName = endpoint is null ? null : model,
            ModelPath = endpoint is null ? model : null,
            ApiKeyEnvironmentVariable = result.GetValue(ApiKeyEnv) ?? "OPENAI_API_KEY",
            ContextWindow = result.GetValue(Context),
            ChatTemplate = result.GetValue(Template),
            AdapterPath = result.GetValue(Adapter),
        };
    }
}
