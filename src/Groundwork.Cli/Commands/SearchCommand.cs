using System.CommandLine;
using Groundwork.Cli.Output;
using Groundwork.Retrieval.Search;

namespace Groundwork.Cli.Commands;

/// <summary>`groundwork search "query" [-k N] [--mode keyword|vector|hybrid]`.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "What to look for" };
        var top = new Option<int>("-k", "--top") { Description = "Number of results", DefaultValueFactory = _ => 10 };
        var mode = new Option<SearchMode>("--mode") { Description = "keyword, vector or hybrid", DefaultValueFactory = _ => SearchMode.Keyword };
        var command = new Command("search", "Find the chunks that best match a query") { query, top, mode };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var hits = await ws.Retriever.SearchAsync(new SearchRequest(result.GetValue(query) ?? "", result.GetValue(top), result.GetValue(mode)), token).ConfigureAwait(false);
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
}
