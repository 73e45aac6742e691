using System.CommandLine;
using System.Globalization;
using Groundwork.Cli.Output;
using Groundwork.Models.Sampling;
using Groundwork.Models.Transformers;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork generate --model FILE.gguf [--temperature T] [--seed S] [-n N] "prompt"`: raw text continuation with
/// the built-in runtime; the text goes to stdout, prompt and generation speed to stderr.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var prompt = new Argument<string>("prompt") { Description = "Text to continue (may be empty)", DefaultValueFactory = _ => "" };
        var model = new Option<string>("--model", "-m") { Description = "GGUF model file", Required = true };
        var tokens = new Option<int>("-n", "--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature", "-t") { Description = "0 = greedy", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int?>("--seed") { Description = "Random seed (reproducible sampling)" };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 40 };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 0.95f };
        var minP = new Option<float>("--min-p") { DefaultValueFactory = _ => 0.05f };
        var repeat = new Option<float>("--repeat-penalty") { DefaultValueFactory = _ => 1f };
        var stop = new Option<string[]>("--stop") { Description = "Stop sequence (repeatable)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)" };
        var adapter = new Option<string?>("--adapter") { Description = "A LoRA adapter (GGUF file or PEFT folder) applied without merging" };
        var command = new Command("generate", "Continue a prompt with a local GGUF model") { prompt, model, tokens, temperature, seed, topK, topP, minP, repeat, stop, threads, adapter };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async token =>
        {
            bool json = result.GetValue(GlobalOptions.Json);
            if (result.GetValue(threads) is int t) Groundwork.Numerics.MatMul.Threads = Math.Max(1, t);
            using var llm = LlamaModel.Load(result.GetValue(model)!);
            var generator = new TextGenerator(llm);
            if (result.GetValue(adapter) is { } adapterPath)
                generator.Session.Adapter = await Groundwork.Training.LoraAdapter.LoadAsync(adapterPath, llm.Config, token).ConfigureAwait(false);
            var options = new GenerationOptions
            {
                MaxTokens = result.GetValue(tokens),
                StopSequences = result.GetValue(stop) ?? [],
                Sampling = new SamplingOptions
                {
                    Temperature = result.GetValue(temperature),
                    TopK = result.GetValue(topK),
                    TopP = result.GetValue(topP),
                    MinP = result.GetValue(minP),
                    RepetitionPenalty = result.GetValue(repeat),
                    Seed = result.GetValue(seed),
                },
            };
            var text = new System.Text.StringBuilder();
            await foreach (var piece in generator.GenerateAsync(result.GetValue(prompt) ?? "", options, token).ConfigureAwait(false))
            {
                if (json) text.Append(piece.Text);
                else Console.Out.Write(piece.Text);
            }
            var stats = generator.LastStats!;
            if (json)
            {
                JsonOutput.Write(new
                {
                    text = text.ToString(),
                    promptTokens = stats.PromptTokens,
                    generatedTokens = stats.GeneratedTokens,
                    promptTokensPerSecond = Math.Round(stats.PromptTokensPerSecond, 2),
                    generationTokensPerSecond = Math.Round(stats.GenerationTokensPerSecond, 2),
                    finish = stats.FinishReason.ToString(),
                });
            }
            else
            {
                Console.Out.Flush();
                if (!Console.IsOutputRedirected) Console.Out.WriteLine();
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"prompt: {stats.PromptTokens} tokens, {stats.PromptTokensPerSecond:0.0} tok/s; generation: {stats.GeneratedTokens} tokens, {stats.GenerationTokensPerSecond:0.0} tok/s ({stats.FinishReason})"));
            }
            return GroundworkCli.Ok;
        }));
        return command;
    }
}
