using System.CommandLine;
using Groundwork.Cli.Output;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork ask "question" [--show-sources]`.</summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "The question" };
        var showSources = new Option<bool>("--show-sources") { Description = "Also list the retrieved sources" };
        var command = new Command("ask", "Answer a question from the collection, with numbered citations") { question, showSources };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var answer = await ws.Answerer.AnswerAsync(result.GetValue(question) ?? "", token).ConfigureAwait(false);
            if (json)
            {
                JsonOutput.Write(new
                {
                    question = answer.Question,
                    answer = answer.Text,
                    abstained = answer.Abstained,
                    confidence = Math.Round(answer.Confidence, 4),
                    method = answer.Method,
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
                    }),
                    sources = result.GetValue(showSources)
                        ? answer.Sources.Select(h => new { path = h.Document.SourcePath, chunkId = h.Chunk.Id, score = Math.Round(h.Score, 4) })
                        : null,
                });
                return GroundworkCli.Ok;
            }
            Console.Out.WriteLine(answer.Text);
            if (answer.Citations.Count > 0) Console.Out.WriteLine();
            foreach (var c in answer.Citations)
                Console.Out.WriteLine($"[{c.Number}] {c.Location} (chars {c.StartOffset}–{c.EndOffset})");
            if (result.GetValue(showSources))
            {
                Console.Out.WriteLine();
                Console.Out.WriteLine("Sources searched:");
                for (int i = 0; i < answer.Sources.Count; i++)
                    Console.Out.WriteLine($"  {i + 1,2}. {answer.Sources[i].Score,7:0.000}  {Display.Location(answer.Sources[i])}");
            }
            return GroundworkCli.Ok;
        }));
        return command;
    }
}
