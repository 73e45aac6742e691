using System.CommandLine;
using Groundwork.Answering;
using Groundwork.Answering.Generation;
using Groundwork.Cli.Output;
using Groundwork.Hosting;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork ask "question"`: the grounded-generation pipeline when a model is configured (--model FILE.gguf, or
/// --endpoint URL --model NAME), the extractive answerer otherwise. Every answer is logged in the collection.
/// </summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "The question" };
        var showSources = new Option<bool>("--show-sources") { Description = "Also list the retrieved sources" };
        var policy = new Option<GroundingPolicy>("--policy") { Description = "Unsupported sentences: flag, strip or refuse", DefaultValueFactory = _ => GroundingPolicy.Flag };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use or fill the answer cache" };
        var reranker = new Option<string?>("--reranker") { Description = "A cross-encoder reranking GGUF (BERT, pooling rank) that reorders the retrieved chunks" };
        var model = new ModelCliOptions();
        var command = new Command("ask", "Answer a question from the collection, with numbered citations") { question, showSources, policy, noCache, reranker };
        model.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var q = result.GetValue(question) ?? "";
            var modelOptions = model.Read(result);
            Answer answer;
            if (result.GetValue(reranker) is not null && !modelOptions.IsConfigured)
                throw new ArgumentException("--reranker needs --model FILE.gguf or --endpoint URL --model NAME (the extractive answerer ranks sentences itself)");
            if (!modelOptions.IsConfigured)
            {
                answer = await ws.Answerer.AnswerAsync(q, token).ConfigureAwait(false);
                if (!json) Console.Out.WriteLine(answer.Text);
            }
            else
            {
                using var backend = await ChatBackend.OpenAsync(modelOptions, token).ConfigureAwait(false);
                using var cross = result.GetValue(reranker) is { } rerankerPath ? CrossEncoderReranker.Load(rerankerPath) : null;
                var answerer = ws.CreateGroundedAnswerer(backend, new GroundedAnswerOptions
                {
                    Policy = result.GetValue(policy),
                    UseCache = !result.GetValue(noCache),
                    ContextWindow = backend.ContextWindow,
                    AnswerReserve = Math.Min(512, backend.ContextWindow / 4),
                }, cross);
                answer = await StreamAsync(answerer, q, [], json, token).ConfigureAwait(false);
            }
            var id = await ws.Store.AppendInteractionAsync(InteractionRecords.From(answer), token).ConfigureAwait(false);
            Print(answer, id, json, result.GetValue(showSources));
            return GroundworkCli.Ok;
        }));
        return command;
    }

    /// <summary>Streams the answer text to the console as it is generated (unless JSON), returning the verified answer.</summary>
    internal static async Task<Answer> StreamAsync(GroundedAnswerer answerer, string question, IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> conversation, bool json, CancellationToken token)
    {
        Answer? final = null;
        await foreach (var update in answerer.StreamAsync(question, conversation, token).ConfigureAwait(false))
        {
            switch (update)
            {
                case AnswerUpdate.TextDelta d when !json:
                    Console.Out.Write(d.Text);
                    break;
                case AnswerUpdate.Completed c:
                    final = c.Answer;
                    break;
            }
        }
        if (!json) Console.Out.WriteLine();
        return final ?? throw new InvalidOperationException("the answer stream ended without an answer");
    }

    internal static void Print(Answer answer, string interactionId, bool json, bool showSources)
    {
        if (json)
        {
            JsonOutput.Write(new
            {
                id = interactionId,
                question = answer.Question,
                answer = answer.Text,
                abstained = answer.Abstained,
                confidence = Math.Round(answer.Confidence, 4),
                groundedness = answer.Groundedness,
                method = answer.Method,
                fromCache = answer.FromCache,
                sentences = answer.Sentences.Select(s => new { text = s.Text, citations = s.CitationNumbers, support = Math.Round(s.Support, 3), supported = s.Supported }),
                citations = answer.Citations.Select(c => new
                {
                    number = c.Number,
                    path = c.SourcePath,
                    title = c.Title,
                    section = c.SectionPath,
                    pageStart = c.PageStart,
                    pageEnd = c.PageEnd,
                    startOffset = c.StartOffset,
                    endOffset = c.EndOffset,
                    chunkId = c.ChunkId,
                    quote = c.Quote,
                    verified = c.Verified,
                    problem = c.Problem,
                }),
                usage = answer.Usage,
                sources = showSources
                    ? answer.Sources.Select(h => new { path = h.Document.SourcePath, chunkId = h.Chunk.Id, score = Math.Round(h.Score, 4) })
                    : null,
            });
            return;
        }
        if (answer.Method != "extractive" && answer.Citations.Count > 0 && !answer.FromCache)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine("Checked answer:");
            Console.Out.WriteLine(answer.Text);
        }
        if (answer.Citations.Count > 0) Console.Out.WriteLine();
        foreach (var c in answer.Citations)
            Console.Out.WriteLine($"[{c.Number}] {c.Location} (chars {c.StartOffset}–{c.EndOffset})" + (c.Verified == false ? $"  ⚠ {c.Problem}" : ""));
        if (answer.Groundedness is double g && answer.Method != "extractive") Console.Out.WriteLine($"Groundedness: {g:P0}" + (answer.FromCache ? " (cached answer)" : ""));
        if (showSources)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine("Sources searched:");
            for (int i = 0; i < answer.Sources.Count; i++)
                Console.Out.WriteLine($"  {i + 1,2}. {answer.Sources[i].Score,7:0.000}  {Display.Location(answer.Sources[i])}");
        }
        Console.Out.WriteLine($"(logged as {interactionId}: `groundwork feedback {interactionId} good|bad`)");
    }
}
