using System.CommandLine;
using Groundwork.Cli.Output;
using Groundwork.Ingestion.Pipeline;
using Spectre.Console;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork ingest PATH... [--include GLOB] [--exclude GLOB] [--tag k=v] [--embedding-model FILE.gguf |
/// --embedding-endpoint URL --embedding-model NAME]`.
/// </summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("path") { Description = "Files or folders to ingest", Arity = ArgumentArity.OneOrMore };
        var include = new Option<string[]>("--include") { Description = "Only files matching this glob (repeatable), e.g. \"**/*.md\"" };
        var exclude = new Option<string[]>("--exclude") { Description = "Skip files matching this glob (repeatable)" };
        var tags = new Option<string[]>("--tag") { Description = "Tag every document: key=value (repeatable)" };
        var keep = new Option<bool>("--keep-deleted") { Description = "Keep documents whose files were deleted" };
        var embedding = new EmbeddingCliOptions();
        var command = new Command("ingest", "Add or update documents in the collection; unchanged files are skipped, deleted files removed")
        {
            paths, include, exclude, tags, keep,
        };
        embedding.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            if (embedding.Read(result) is { } embeddingOptions) ws.UseEmbeddingModel(embeddingOptions);
            var tagMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var t in result.GetValue(tags) ?? [])
            {
                int eq = t.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw new ArgumentException($"--tag '{t}': expected key=value");
                tagMap[t[..eq]] = t[(eq + 1)..];
            }
            var options = new IngestionOptions
            {
                Include = result.GetValue(include) ?? [],
                Exclude = result.GetValue(exclude) ?? [],
                Tags = tagMap,
                RemoveDeleted = !result.GetValue(keep),
            };
            var targets = result.GetValue(paths) ?? [];
            IngestReport report;
            if (CommandRunner.Interactive(json))
            {
                report = await AnsiConsole.Status().StartAsync("Ingesting…", async ctx =>
                {
                    var progress = new Progress<IngestProgress>(p => ctx.Status(
                        $"files {p.FilesDone}/{p.FilesFound} · chunks {p.Chunks} · {p.MegabytesPerSecond:0.0} MB/s · failures {p.Failed}" +
                        (p.Current is null ? "" : $" · {Markup.Escape(Path.GetFileName(p.Current))}")));
                    return await ws.Ingestor.IngestAsync(targets, options, progress, token).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }
            else
            {
                report = await ws.Ingestor.IngestAsync(targets, options, null, token).ConfigureAwait(false);
            }
            // With an embedding model: bring its vector index up to date (and switch the collection to it when complete).
            var vectors = await ws.UpdateVectorIndexAsync(token).ConfigureAwait(false);

            if (json)
            {
                JsonOutput.Write(new
                {
                    collection = ws.Store.Name,
                    added = report.Count(FileOutcome.Added),
                    updated = report.Count(FileOutcome.Updated),
                    unchanged = report.Count(FileOutcome.Unchanged),
                    removed = report.Count(FileOutcome.Removed),
                    failed = report.Count(FileOutcome.Failed),
                    chunks = report.ChunksWritten,
                    seconds = Math.Round(report.Elapsed.TotalSeconds, 3),
                    megabytes = Math.Round(report.BytesRead / 1e6, 3),
                    failures = report.Failures.Select(f => new { path = f.Path, reason = f.Reason }),
                    vectors = vectors is null ? null : new
                    {
                        model = ws.VectorIndex!.ModelId,
                        count = ws.VectorIndex.Count,
                        added = vectors.Added,
                        removed = vectors.Removed,
                        embedded = vectors.Embedded,
                        switched = vectors.Switched,
                    },
                });
            }
            else
            {
                foreach (var f in report.Failures) Console.Error.WriteLine($"failed: {f.Path}: {f.Reason}");
                double secs = Math.Max(report.Elapsed.TotalSeconds, 1e-6);
                Console.Out.WriteLine(
                    $"Ingested into '{ws.Store.Name}': {report.Count(FileOutcome.Added)} added, {report.Count(FileOutcome.Updated)} updated, " +
                    $"{report.Count(FileOutcome.Unchanged)} unchanged, {report.Count(FileOutcome.Removed)} removed, {report.Count(FileOutcome.Failed)} failed; " +
                    $"{report.ChunksWritten} chunks in {report.Elapsed.TotalSeconds:0.00} s ({report.BytesRead / 1e6 / secs:0.0} MB/s)");
                if (vectors is not null)
                    Console.Out.WriteLine(
                        $"Vector index '{ws.VectorIndex!.ModelId}': {ws.VectorIndex.Count} vectors ({vectors.Added} added, {vectors.Removed} removed, " +
                        $"{vectors.Embedded} embedded, the rest from the cache){(vectors.Switched ? "; the collection now uses this model" : "")}");
            }
            return report.HasFailures ? GroundworkCli.PartialFailure : GroundworkCli.Ok;
        }));
        return command;
    }
}
