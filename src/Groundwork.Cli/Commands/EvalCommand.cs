using System.CommandLine;
using System.Globalization;
using Groundwork.Cli.Output;
using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Reports;
using Groundwork.Evaluation.Synthesis;
using Groundwork.Hosting;
using Groundwork.Ingestion.Pipeline;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork eval --dataset DIR|FILE --strategies extractive,rag,base,finetuned,hybrid [--model FILE.gguf |
/// --endpoint URL --model NAME] [--adapter FILE] [--limit N] [--judge] [--prices FILE] --out DIR
/// [--compare baseline.json --fail-below nDCG@10=0.01,F1=0.02]` and `groundwork eval synthesize --count N --out FILE`.
/// </summary>
internal static class EvalCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "GGUF model file, or the model name at --endpoint", Recursive = true };
    private static readonly Option<string> Endpoint = new("--endpoint") { Description = "OpenAI-compatible server URL (with --model NAME)", Recursive = true };
    private static readonly Option<string> Adapter = new("--adapter") { Description = "LoRA adapter for the fine-tuned strategies (finetuned, hybrid)", Recursive = true };

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "QA JSONL/CSV file, Docugami folder (qna_data.csv + docs/) or BEIR folder (corpus.jsonl, queries.jsonl, qrels/)" };
        var strategies = new Option<string>("--strategies") { Description = "Comma-separated: extractive, rag, base, finetuned, hybrid", DefaultValueFactory = _ => "extractive" };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N questions" };
        var judge = new Option<bool>("--judge") { Description = "Also score correctness 1-5 with the model as judge (cached in OUT/judge-cache.json)" };
        var prices = new Option<string>("--prices") { Description = "Price table JSON: {\"model\": {\"input\": $/1M, \"output\": $/1M}}" };
        var outDir = new Option<string>("--out") { Description = "Folder for report.json, report.md and report.html", DefaultValueFactory = _ => "eval-report" };
        var compare = new Option<string>("--compare") { Description = "Baseline report.json to compare with (regression gate)" };
        var current = new Option<string>("--current") { Description = "Current report.json for --compare without running (default: the new run's report)" };
        var failBelow = new Option<string>("--fail-below") { Description = "With --compare: METRIC=MAXDROP,... e.g. nDCG@10=0.01,F1=0.02; exit 3 when any dropped more" };
        var split = new Option<string>("--split") { Description = "BEIR qrels split", DefaultValueFactory = _ => "test" };
        var fineTuneSeconds = new Option<double?>("--fine-tune-seconds") { Description = "Duration of a fine-tuning run, reported against RAG's update cost" };
        var command = new Command("eval", "Measure extractive answers, RAG, the base model, the fine-tuned model and both on a QA set, and say which wins")
        {
            dataset, strategies, Model, Endpoint, Adapter, limit, judge, prices, outDir, compare, current, failBelow, split, fineTuneSeconds,
        };
        command.Subcommands.Add(CreateSynthesize());
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(dataset) is null)
            {
                if (result.GetValue(compare) is null)
                {
                    Console.Error.WriteLine("groundwork: error: eval needs --dataset (or --compare baseline.json --current report.json)");
                    return GroundworkCli.Error;
                }
                return await GateOnlyAsync(result, result.GetValue(compare)!, result.GetValue(current), result.GetValue(failBelow), ct).ConfigureAwait(false);
            }
            return await CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
            {
                var options = new RunSettings(
                    result.GetValue(dataset)!, result.GetValue(strategies) ?? "extractive", result.GetValue(limit), result.GetValue(judge),
                    result.GetValue(prices), result.GetValue(outDir) ?? "eval-report", result.GetValue(split) ?? "test", result.GetValue(fineTuneSeconds));
                var report = await RunAsync(result, ws, options, json, token).ConfigureAwait(false);
                var files = await ReportWriter.WriteAsync(report, options.Out, token).ConfigureAwait(false);
                IReadOnlyList<GateRow>? gate = null;
                if (result.GetValue(compare) is string baselinePath)
                {
                    var baseline = await ReportJson.ReadAsync(baselinePath, token).ConfigureAwait(false);
                    var reportForGate = result.GetValue(current) is string c ? await ReportJson.ReadAsync(c, token).ConfigureAwait(false) : report;
                    gate = RegressionGate.Compare(baseline, reportForGate, RegressionGate.ParseThresholds(result.GetValue(failBelow)
                        ?? throw new ArgumentException("--compare needs --fail-below METRIC=MAXDROP,...")));
                }
                Print(report, files, gate, json);
                return gate is null ? GroundworkCli.Ok : RegressionGate.ExitCode(gate);
            }).ConfigureAwait(false);
        });
        return command;
    }

    private sealed record RunSettings(string Dataset, string Strategies, int? Limit, bool Judge, string? Prices, string Out, string Split, double? FineTuneSeconds);

    /// <summary>
    /// The chat model for the model strategies (rag, base; and the judge). The lead wires the runtime here:
    /// <c>--model FILE.gguf</c> → the managed GGUF runtime; <c>--endpoint URL --model NAME</c> →
    /// <c>Groundwork.Models.OpenAI.OpenAiCompatibleChatClient</c> (wired).
    /// </summary>
    internal static Task<IChatClient> CreateChatClientAsync(ParseResult result, CancellationToken cancellationToken)
        => OpenAsync(result, adapter: null, cancellationToken);

    internal static async Task<IChatClient?> CreateFineTunedChatClientAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var adapter = result.GetValue(Adapter);
        if (string.IsNullOrWhiteSpace(adapter)) return null;
        if (!File.Exists(adapter) && !Directory.Exists(adapter)) throw new FileNotFoundException($"--adapter {adapter}: file or folder not found", adapter);
        return await OpenAsync(result, adapter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the model named by --model (a GGUF file, run by the built-in runtime, optionally with a LoRA adapter) or
    /// --endpoint URL --model NAME. The model lives until the command's process ends.
    /// </summary>
    private static async Task<IChatClient> OpenAsync(ParseResult result, string? adapter, CancellationToken cancellationToken)
    {
        var model = result.GetValue(Model);
        var endpoint = result.GetValue(Endpoint);
        if (string.IsNullOrWhiteSpace(model) && string.IsNullOrWhiteSpace(endpoint)) throw new ArgumentException("model strategies need --model or --endpoint");
        if (!string.IsNullOrWhiteSpace(endpoint) && string.IsNullOrWhiteSpace(model)) throw new ArgumentException("--endpoint needs --model NAME");
        Uri? uri = null;
        if (!string.IsNullOrWhiteSpace(endpoint)
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            throw new ArgumentException($"--endpoint '{endpoint}': expected an http(s) URL such as http://localhost:8080/v1");
        var backend = await ChatBackend.OpenAsync(new ModelOptions
        {
            Endpoint = uri,
            ModelName = uri is null ? null : model,
            ModelPath = uri is null ? model : null,
            AdapterPath = adapter,
        }, cancellationToken).ConfigureAwait(false);
        return backend.Chat;
    }

    private static bool HasModel(ParseResult result) =>
        !string.IsNullOrWhiteSpace(result.GetValue(Model)) || !string.IsNullOrWhiteSpace(result.GetValue(Endpoint));

    private static async Task<EvaluationReport> RunAsync(ParseResult result, GroundworkWorkspace ws, RunSettings settings, bool json, CancellationToken token)
    {
        var notes = new List<string>();
        var path = Path.GetFullPath(settings.Dataset);
        if (Directory.Exists(path) && (File.Exists(Path.Combine(path, "corpus.jsonl")) || File.Exists(Path.Combine(path, "corpus.jsonl.gz"))))
        {
            var beir = BeirDataset.Open(path);
            if (!File.Exists(beir.QrelsPath(settings.Split)))
            {
                var splits = Directory.Exists(Path.Combine(path, "qrels")) ? Directory.EnumerateFiles(Path.Combine(path, "qrels"), "*.tsv").Select(Path.GetFileNameWithoutExtension) : [];
                throw new FileNotFoundException($"--split {settings.Split}: no qrels file {beir.QrelsPath(settings.Split)} (splits here: {string.Join(", ", splits)})");
            }
            int indexed = await BeirRetrievalEvaluation.IndexIfEmptyAsync(beir, ws.Store, token).ConfigureAwait(false);
            notes.Add(indexed > 0 ? $"indexed {indexed} corpus documents into collection '{ws.Store.Name}'" : $"searched the existing collection '{ws.Store.Name}' (it must hold this corpus)");
            var (summary, _) = await BeirRetrievalEvaluation.EvaluateAsync(beir, ws.Retriever, settings.Split, settings.Limit, 100, token).ConfigureAwait(false);
            var stats = await ws.Store.GetStatsAsync(token).ConfigureAwait(false);
            return new EvaluationReport { Dataset = path, CreatedUtc = DateTimeOffset.UtcNow, IndexBytes = stats.StoreBytes, Notes = notes, Retrieval = summary };
        }

        var items = await LoadItemsAsync(ws, path, notes, json, token).ConfigureAwait(false);
        IChatClient? baseModel = HasModel(result) ? await CreateChatClientAsync(result, token).ConfigureAwait(false) : null;
        IChatClient? fineTuned = baseModel is null ? null : await CreateFineTunedChatClientAsync(result, token).ConfigureAwait(false);
        var strategies = AnswerStrategies.Create(settings.Strategies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ws.Retriever, ws.Tokenizer, baseModel, fineTuned, notes);
        if (strategies.Count == 0) throw new ArgumentException("no strategy can run: " + string.Join("; ", notes));
        AnswerJudge? judge = null;
        if (settings.Judge)
        {
            if (baseModel is null) throw new ArgumentException("--judge needs --model or --endpoint");
            judge = new AnswerJudge(baseModel, cachePath: Path.Combine(settings.Out, "judge-cache.json"));
        }
        var prices = settings.Prices is null ? PriceTable.Empty : await PriceTable.ReadAsync(settings.Prices, token).ConfigureAwait(false);
        var stats2 = await ws.Store.GetStatsAsync(token).ConfigureAwait(false);
        var runner = new EvaluationRunner(new EvaluationOptions
        {
            Limit = settings.Limit, Prices = prices, Judge = judge, Dataset = path, IndexBytes = stats2.StoreBytes, Notes = notes,
        });
        EvaluationReport report;
        int total = Math.Min(items.Count, settings.Limit ?? int.MaxValue);
        if (CommandRunner.Interactive(json))
        {
            report = await AnsiConsole.Status().StartAsync("Evaluating…", async ctx =>
                await runner.RunAsync(items, strategies, new Progress<EvaluationProgress>(p => ctx.Status($"{p.Strategy}: {p.Done}/{p.Total}")), token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        else
        {
            if (!json) Console.Error.WriteLine($"evaluating {total} questions with {string.Join(", ", strategies.Select(s => s.Name))}");
            report = await runner.RunAsync(items, strategies, null, token).ConfigureAwait(false);
        }
        return settings.FineTuneSeconds is double ft
            ? report with { Notes = [.. report.Notes, $"fine-tuning run duration given: {ft.ToString("0.##", CultureInfo.InvariantCulture)} s (measure RAG's update cost with UpdateCost.MeasureAsync)"] }
            : report;
    }

    /// <summary>Loads a QA JSONL or CSV file, or a Docugami-style folder (ingesting its documents first).</summary>
    private static async Task<IReadOnlyList<QaItem>> LoadItemsAsync(GroundworkWorkspace ws, string path, List<string> notes, bool json, CancellationToken token)
    {
        if (File.Exists(path))
        {
            var items = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
                ? await QaDataset.ReadCsvAsync(path, null, token).ToListAsync(token).ConfigureAwait(false)
                : await QaDataset.ReadJsonLinesAsync(path, token).ToListAsync(token).ConfigureAwait(false);
            var approved = await TestSetFiles.ApplyReviewAsync(items, path, token).ConfigureAwait(false);
            if (approved.Count < items.Count) notes.Add($"{items.Count - approved.Count} of {items.Count} questions not approved in review; left out");
            return approved;
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"--dataset {path}: no such file or folder");
        var csv = new[] { Path.Combine(path, "qna_data.csv"), Path.Combine(path, "data", "v1", "qna_data.csv") }.FirstOrDefault(File.Exists)
            ?? throw new InvalidDataException($"--dataset {path}: expected a QA file, a folder with qna_data.csv (and docs/), or a BEIR folder with corpus.jsonl");
        var docs = Path.Combine(Path.GetDirectoryName(csv)!, "docs");
        var known = Directory.Exists(docs) ? Directory.EnumerateFiles(docs).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
        if (known.Count > 0)
        {
            if (!json) Console.Error.WriteLine($"ingesting {known.Count} documents from {docs} into '{ws.Store.Name}' (unchanged files are skipped)");
            var ingest = await ws.Ingestor.IngestAsync([docs], new IngestionOptions { RemoveDeleted = false }, null, token).ConfigureAwait(false);
            notes.Add($"documents: {known.Count} files in {docs}; ingest: {ingest.Count(FileOutcome.Added)} added, {ingest.Count(FileOutcome.Updated)} updated, {ingest.Count(FileOutcome.Unchanged)} unchanged, {ingest.Count(FileOutcome.Failed)} failed");
            foreach (var f in ingest.Failures) notes.Add($"ingest failed: {Path.GetFileName(f.Path)}: {f.Reason}");
        }
        notes.Add("reference answers are scored without their trailing 'SOURCE(S):' line");
        return await QaDataset.ReadCsvAsync(csv, known.Count > 0 ? known : null, token).ToListAsync(token).ConfigureAwait(false);
    }

    private static void Print(EvaluationReport report, (string Json, string Markdown, string Html) files, IReadOnlyList<GateRow>? gate, bool json)
    {
        if (json)
        {
            JsonOutput.Write(new
            {
                report = files.Json,
                markdown = files.Markdown,
                html = files.Html,
                questions = report.Items.Count,
                strategies = report.Strategies.Select(s => new { name = s.Name, model = s.Model, metrics = s.Metrics, latencyP50 = s.Latency.GetValueOrDefault("total")?.P50 }),
                retrieval = report.Retrieval?.Metrics,
                recommendation = report.Recommendation?.Overall,
                notes = report.Notes,
                gate = gate?.Select(r => new { metric = r.Metric, scope = r.Scope, baseline = r.Baseline, current = r.Current, delta = r.Delta, failed = r.Failed }),
            });
            return;
        }
        foreach (var note in report.Notes) Console.Out.WriteLine("note: " + note);
        if (report.Strategies.Count > 0)
        {
            Console.Out.WriteLine($"{report.Items.Count} questions");
            Console.Out.WriteLine($"{"strategy",-11} {"EM",6} {"F1",6} {"ROUGE-L",8} {"DocRecall",10} {"Abstain",8} {"p50 ms",8} {"p95 ms",8}");
            foreach (var s in report.Strategies)
            {
                string M(string m) => s.Metrics.GetValueOrDefault(m) is double v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "—";
                var l = s.Latency.GetValueOrDefault("total");
                Console.Out.WriteLine($"{s.Name,-11} {M(MetricNames.ExactMatch),6} {M(MetricNames.F1),6} {M(MetricNames.RougeL),8} {M(MetricNames.DocumentRecall),10} {M(MetricNames.AbstainRate),8} {l?.P50 ?? 0,8:0.0} {l?.P95 ?? 0,8:0.0}");
            }
        }
        if (report.Retrieval is { } r)
            foreach (var name in new[] { "nDCG@10", "Recall@100", "MRR@10", "MAP@100" })
                Console.Out.WriteLine($"{name,-12} {r.Metrics.GetValueOrDefault(name):0.0000}");
        if (report.Recommendation is { } rec) Console.Out.WriteLine("recommendation: " + rec.Overall);
        if (gate is not null) Console.Out.Write(RegressionGate.Table(gate));
        Console.Out.WriteLine($"report: {files.Html} (also report.md, report.json)");
    }

    private static async Task<int> GateOnlyAsync(ParseResult result, string baselinePath, string? currentPath, string? spec, CancellationToken ct)
    {
        try
        {
            if (currentPath is null) throw new ArgumentException("--compare without --dataset needs --current report.json");
            if (spec is null) throw new ArgumentException("--compare needs --fail-below METRIC=MAXDROP,...");
            var rows = RegressionGate.Compare(await ReportJson.ReadAsync(baselinePath, ct).ConfigureAwait(false),
                await ReportJson.ReadAsync(currentPath, ct).ConfigureAwait(false), RegressionGate.ParseThresholds(spec));
            if (result.GetValue(GlobalOptions.Json))
                JsonOutput.Write(rows.Select(r => new { metric = r.Metric, scope = r.Scope, baseline = r.Baseline, current = r.Current, delta = r.Delta, failed = r.Failed }));
            else Console.Out.Write(RegressionGate.Table(rows));
            return RegressionGate.ExitCode(rows);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine("groundwork: error: " + CommandRunner.OneLine(ex));
            return GroundworkCli.Error;
        }
    }

    private static Command CreateSynthesize()
    {
        var count = new Option<int>("--count") { Description = "Questions to generate", DefaultValueFactory = _ => 50 };
        var output = new Option<string>("--out") { Description = "Test set JSONL to write (a NAME.review.csv is written beside it)", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the chunk sample", DefaultValueFactory = _ => 42 };
        var command = new Command("synthesize", "Generate question / answer / source triples from the collection with a chat model, for review") { count, output, seed };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var chat = await CreateChatClientAsync(result, token).ConfigureAwait(false);
            var synthesized = await new TestSetSynthesizer(chat, new SynthesisOptions { Count = result.GetValue(count), Seed = result.GetValue(seed) })
                .GenerateAsync(ws.Store, token).ConfigureAwait(false);
            var path = result.GetValue(output)!;
            await TestSetFiles.WriteAsync(synthesized.Items, path, token).ConfigureAwait(false);
            if (json) JsonOutput.Write(new { path, review = TestSetFiles.ReviewPath(path), items = synthesized.Items.Count, attempts = synthesized.Attempts, rejected = synthesized.Rejections });
            else
            {
                foreach (var r in synthesized.Rejections) Console.Error.WriteLine("rejected: " + r);
                Console.Out.WriteLine($"wrote {synthesized.Items.Count} questions to {path} ({synthesized.Rejections.Count} of {synthesized.Attempts} generations rejected); review and approve them in {TestSetFiles.ReviewPath(path)}");
            }
            return synthesized.Items.Count > 0 ? GroundworkCli.Ok : GroundworkCli.PartialFailure;
        }));
        return command;
    }
}
