using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Hosting;
using Microsoft.Extensions.AI;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork chat --model ...`: a conversation on standard input. Over a collection with documents it answers with
/// the grounded pipeline (follow-ups rewritten into standalone questions); with --no-retrieval, or over an empty
/// collection, it talks to the model directly and prints prompt and generation speed.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var noRetrieval = new Option<bool>("--no-retrieval") { Description = "Talk to the model without the documents" };
        var system = new Option<string?>("--system") { Description = "System prompt (with --no-retrieval)" };
        var model = new ModelCliOptions();
        var command = new Command("chat", "A conversation with the model, grounded in the collection") { noRetrieval, system };
        model.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            using var backend = await ChatBackend.OpenAsync(model.Read(result), token).ConfigureAwait(false);
            var stats = await ws.Store.GetStatsAsync(token).ConfigureAwait(false);
            bool grounded = !result.GetValue(noRetrieval) && stats.Documents > 0;
            Console.Error.WriteLine(grounded
                ? $"Chatting with {backend.ModelId} over '{ws.Store.Name}' ({stats.Documents} documents). Empty line or Ctrl-D ends."
                : $"Chatting with {backend.ModelId} (no retrieval). Empty line or Ctrl-D ends.");
            var history = new List<ChatMessage>();
            if (!grounded && result.GetValue(system) is { } sys) history.Add(new ChatMessage(ChatRole.System, sys));
            var answerer = grounded ? ws.CreateGroundedAnswerer(backend, new GroundedAnswerOptions
            {
                ContextWindow = backend.ContextWindow,
                AnswerReserve = Math.Min(512, backend.ContextWindow / 4),
                UseCache = false,
            }) : null;
            while (!token.IsCancellationRequested)
            {
                Console.Error.Write("> ");
                var line = await Console.In.ReadLineAsync(token).ConfigureAwait(false);
                if (string.IsNullOrWhiteSpace(line)) break;
                if (answerer is not null)
                {
                    var answer = await AskCommand.StreamAsync(answerer, line, history, json, token).ConfigureAwait(false);
                    var id = await ws.Store.AppendInteractionAsync(InteractionRecords.From(answer), token).ConfigureAwait(false);
                    AskCommand.Print(answer, id, json, showSources: false);
                    history.Add(new ChatMessage(ChatRole.User, line));
                    history.Add(new ChatMessage(ChatRole.Assistant, answer.Text));
                    continue;
                }
                history.Add(new ChatMessage(ChatRole.User, line));
                var reply = new System.Text.StringBuilder();
                var clock = Stopwatch.StartNew();
                double firstToken = 0;
                UsageDetails? usage = null;
                await foreach (var update in backend.Chat.GetStreamingResponseAsync(history, cancellationToken: token).ConfigureAwait(false))
                {
                    if (update.Text.Length > 0 && firstToken == 0) firstToken = clock.Elapsed.TotalSeconds;
                    reply.Append(update.Text);
                    Console.Out.Write(update.Text);
                    usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                }
                Console.Out.WriteLine();
                double total = clock.Elapsed.TotalSeconds;
                if (usage is { InputTokenCount: long input, OutputTokenCount: long output })
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"prompt: {input} tokens, {input / Math.Max(firstToken, 1e-6):0.0} tok/s; generation: {output} tokens, {output / Math.Max(total - firstToken, 1e-6):0.0} tok/s"));
                history.Add(new ChatMessage(ChatRole.Assistant, reply.ToString()));
            }
            return GroundworkCli.Ok;
        }));
        return command;
    }
}
