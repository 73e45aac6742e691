using System.CommandLine;
using System.Globalization;
using Groundwork.Cli.Output;
using Groundwork.Hosting;
using Groundwork.Training.DatasetBuilding;

namespace Groundwork.Cli.Commands;

/// <summary>
/// `groundwork dataset build --out DIR [--kinds qa,raft,log] [--count N] [--distractors 3] [--no-answer-share 0.2]
/// [--validation 0.1] [--seed S] [--model FILE.gguf | --endpoint URL --model NAME]`: writes DIR/train.jsonl and
/// DIR/validation.jsonl for `groundwork finetune` from the collection and its interaction log.
/// </summary>
internal static class DatasetCommand
{
    public static Command Create()
    {
        var command = new Command("dataset", "Fine-tuning datasets from the collection");
        command.Subcommands.Add(CreateBuild());
        return command;
    }

    private static Command CreateBuild()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for train.jsonl and validation.jsonl", Required = true };
        var kinds = new Option<string>("--kinds") { Description = "Comma-separated: qa (closed-book pairs), raft (question + oracle + distractor chunks), log (answers marked good)", DefaultValueFactory = _ => "qa,raft,log" };
        var count = new Option<int>("--count") { Description = "Question-answer pairs to generate with the model", DefaultValueFactory = _ => 100 };
        var distractors = new Option<int>("--distractors") { Description = "Distractor chunks per RAFT example", DefaultValueFactory = _ => 3 };
        var noAnswer = new Option<double>("--no-answer-share") { Description = "Share of RAFT examples without the oracle, answered with the abstention sentence", DefaultValueFactory = _ => 0.2 };
        var validation = new Option<double>("--validation") { Description = "Share of examples held out in validation.jsonl", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Seed of sampling, distractors, source order and split", DefaultValueFactory = _ => 42 };
        var model = new ModelCliOptions();
        var command = new Command("build", "Build train.jsonl and validation.jsonl from generated questions, RAFT prompts and good logged answers")
        {
            output, kinds, count, distractors, noAnswer, validation, seed,
        };
        model.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, ct, async (ws, json, token) =>
        {
            var chosen = ParseKinds(result.GetValue(kinds) ?? "");
            var modelOptions = model.Read(result);
            bool needsModel = (chosen & (DatasetKinds.Qa | DatasetKinds.Raft)) != 0;
            if (needsModel && !modelOptions.IsConfigured)
                throw new ArgumentException("kinds qa and raft need a chat model: pass --model FILE.gguf, or --endpoint URL --model NAME (or use --kinds log)");
            using var backend = needsModel ? await ChatBackend.OpenAsync(modelOptions, token).ConfigureAwait(false) : null;
            var options = new DatasetBuildOptions
            {
                Kinds = chosen,
                Count = result.GetValue(count),
                Distractors = result.GetValue(distractors),
                NoAnswerShare = result.GetValue(noAnswer),
                ValidationFraction = result.GetValue(validation),
                Seed = result.GetValue(seed),
                ContextWindow = backend?.ContextWindow,
                Tokenizer = backend?.Tokenizer,
            };
            var built = await new DatasetBuilder(ws.Store, backend?.Chat, AnswererGroundedPrompt.Instance, options).BuildAsync(new StderrProgress(), token).ConfigureAwait(false);
            var (trainPath, validationPath) = await DatasetFiles.WriteAsync(built, result.GetValue(output)!, token).ConfigureAwait(false);
            var skippedByKind = built.Skipped.GroupBy(s => s.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
            if (json)
            {
                JsonOutput.Write(new
                {
                    train = trainPath, validation = validationPath, trainExamples = built.Train.Count, validationExamples = built.Validation.Count,
                    kinds = built.CountsByKind, skipped = skippedByKind, duplicates = built.Duplicates, modelCalls = built.ModelCalls,
                    skippedReasons = built.Skipped.Select(s => $"{s.Kind} {s.Origin}: {s.Reason}").ToList(),
                });
            }
            else
            {
                foreach (var s in built.Skipped) Console.Error.WriteLine($"skipped ({s.Kind}) {s.Origin}: {s.Reason}");
                var perKind = built.CountsByKind.Count == 0 ? "none" : string.Join(", ", built.CountsByKind.Select(kv => $"{kv.Key} {kv.Value}"));
                var skippedText = skippedByKind.Count == 0 ? "" : " (" + string.Join(", ", skippedByKind.Select(kv => $"{kv.Key} {kv.Value}")) + ")";
                Console.Out.WriteLine($"wrote {built.Train.Count} training examples to {trainPath} and {built.Validation.Count} to {validationPath}");
                Console.Out.WriteLine($"examples: {perKind}; skipped {built.Skipped.Count}{skippedText}; duplicates {built.Duplicates}; model calls {built.ModelCalls}");
            }
            if (built.Train.Count + built.Validation.Count == 0)
            {
                Console.Error.WriteLine("groundwork: no examples were built" + (chosen.HasFlag(DatasetKinds.Log) ? " (mark answers good with `groundwork feedback ID good` for kind log)" : ""));
                return GroundworkCli.PartialFailure;
            }
            return GroundworkCli.Ok;
        }));
        return command;
    }

    internal static DatasetKinds ParseKinds(string value)
    {
        var kinds = DatasetKinds.None;
        foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            kinds |= name.ToUpperInvariant() switch
            {
                "QA" => DatasetKinds.Qa,
                "RAFT" => DatasetKinds.Raft,
                "LOG" => DatasetKinds.Log,
                _ => throw new ArgumentException($"--kinds: unknown kind '{name}' (expected qa, raft, log)"),
            };
        }
        return kinds == DatasetKinds.None ? throw new ArgumentException("--kinds: no kinds given (expected qa, raft, log)") : kinds;
    }

    /// <summary>A progress line on stderr every 10 model calls and at the last one.</summary>
    private sealed class StderrProgress : IProgress<DatasetProgress>
    {
        public void Report(DatasetProgress value)
        {
            if (value.Calls % 10 == 0 || value.Calls == value.MaxCalls)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"generating: {value.Calls}/{value.MaxCalls} model calls, {value.Pairs} pairs, {value.Skipped} malformed"));
        }
    }
}
