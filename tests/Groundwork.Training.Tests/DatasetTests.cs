using Groundwork.Models.Chat;
using Groundwork.Models.Transformers;
using Groundwork.Testing;
using Groundwork.Training.Data;

namespace Groundwork.Training.Tests;

/// <summary>JSONL chat/Alpaca parsing, template rendering with assistant-only loss masks, splits, and the CLI pipeline.</summary>
public sealed class DatasetTests
{
    [Fact]
    public async Task Malformed_lines_name_the_file_line_and_field()
    {
        using var dir = TestPaths.CreateTempDir();
        string path = dir.File("train.jsonl");
        await File.WriteAllLinesAsync(path, [
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""",
            """{"instruction":"Add","input":"1 2","output":"3"}""",
            "",
            """{"prompt":"x"}""",
        ]);
        var e = await Assert.ThrowsAsync<FormatException>(() => FineTuneDataset.ReadJsonlAsync(path, CancellationToken.None));
        Assert.StartsWith("train.jsonl:4: missing field 'messages'", e.Message, StringComparison.Ordinal);
        Assert.Equal("t.jsonl:2: messages[0]: missing field 'content'",
            Assert.Throws<FormatException>(() => FineTuneDataset.ParseLine("""{"messages":[{"role":"user"}]}""", "t.jsonl:2")).Message);
        Assert.Contains("invalid JSON", Assert.Throws<FormatException>(() => FineTuneDataset.ParseLine("{oops", "t.jsonl:3")).Message, StringComparison.Ordinal);
        Assert.Contains("no assistant message", Assert.Throws<FormatException>(() => FineTuneDataset.ParseLine("""{"messages":[{"role":"user","content":"a"}]}""", "t.jsonl:5")).Message, StringComparison.Ordinal);
        var alpaca = FineTuneDataset.ParseLine("""{"instruction":"Add","input":"1 2","output":"3"}""", "x:1");
        Assert.Equal([new ChatTurn("user", "Add\n\n1 2"), new ChatTurn("assistant", "3")], alpaca);
    }

    [Fact]
    public void Loss_mask_covers_only_the_assistant_reply()
    {
        using var model = LlamaModel.Load(TestPaths.Shared("models", "stories260K", "stories260K.gguf"));
        var template = ChatTemplate.FromName("plain");
        var ex = FineTuneDataset.Tokenize([new ChatTurn("user", "Who is Zog?"), new ChatTurn("assistant", "A purple dragon.")], model.Tokenizer, template);
        Assert.Equal(ex.Tokens.Length, ex.LossMask.Length);
        Assert.Equal(model.Tokenizer.BosId, ex.Tokens[0]);
        Assert.False(ex.LossMask[0]);
        int firstCounted = Array.IndexOf(ex.LossMask, true);
        string prompt = string.Concat(ex.Tokens[1..firstCounted].Select(model.Tokenizer.GetTokenText)).Replace('▁', ' ');
        string reply = string.Concat(ex.Tokens[firstCounted..^1].Select(model.Tokenizer.GetTokenText)).Replace('▁', ' ');
        Assert.Contains("Who is Zog?", prompt, StringComparison.Ordinal);
        Assert.EndsWith("Assistant:", prompt.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("purple dragon.", reply, StringComparison.Ordinal);
        Assert.All(ex.LossMask[firstCounted..], Assert.True); // the reply, its newline and EOS
        Assert.Equal(model.Tokenizer.EosId, ex.Tokens[^1]);

        // ChatML: the end-of-turn marker is learned, the next user turn is not.
        var chatml = ChatTemplate.FromName("chatml");
        var two = FineTuneDataset.Tokenize([new ChatTurn("user", "a"), new ChatTurn("assistant", "b"), new ChatTurn("user", "c"), new ChatTurn("assistant", "d")], model.Tokenizer, chatml);
        int runs = 0;
        for (int i = 1; i < two.LossMask.Length; i++) if (two.LossMask[i] && !two.LossMask[i - 1]) runs++;
        Assert.Equal(2, runs);
    }

    [Fact]
    public void Split_is_deterministic_and_disjoint()
    {
        var items = Enumerable.Range(0, 50).ToList();
        var (t1, v1) = FineTuneDataset.Split(items, 0.2, 9);
        var (t2, v2) = FineTuneDataset.Split(items, 0.2, 9);
        Assert.Equal(v1, v2);
        Assert.Equal(10, v1.Count);
        Assert.Empty(t1.Intersect(v1));
        Assert.Equal(50, t1.Count + v1.Count);
    }

    [Fact]
    public async Task Runner_trains_from_jsonl_and_a_cancelled_run_leaves_a_resumable_checkpoint()
    {
        using var dir = TestPaths.CreateTempDir();
        string data = dir.File("train.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 12).Select(i =>
            $$"""{"messages":[{"role":"user","content":"What is the dragon called?"},{"role":"assistant","content":"The purple dragon is called Zog {{i % 3}}."}]}"""));
        var options = new FineTuneRunOptions
        {
            ModelPath = TestPaths.Shared("models", "stories260K", "stories260K.gguf"),
            DataPath = data,
            OutputPath = dir.File("zog.gguf"),
            Lora = new LoraOptions { Rank = 4, Alpha = 8 },
            Training = new TrainingOptions { LearningRate = 1e-2f, MaxSteps = 8, BatchSize = 2, MaxSequenceLength = 64 },
            ValidationSplit = 0.25,
            EvalEvery = 2,
        };
        using var cts = new CancellationTokenSource();
        var reports = new List<FineTuneProgress>();
        var progress = new SyncProgress(p => { reports.Add(p); if (p.Step == 3) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FineTuneRunner.RunAsync(options, progress, cts.Token));
        Assert.True(File.Exists(options.OutputPath + ".ckpt"));
        Assert.False(File.Exists(options.OutputPath));

        var resumed = new FineTuneRunOptions
        {
            ModelPath = options.ModelPath, DataPath = data, OutputPath = options.OutputPath, Lora = options.Lora, Training = options.Training,
            ValidationSplit = 0.25, EvalEvery = 2, ResumeFrom = options.OutputPath + ".ckpt",
        };
        reports.Clear();
        double best = await FineTuneRunner.RunAsync(resumed, new SyncProgress(reports.Add), CancellationToken.None);
        Assert.Equal(4, reports[0].Step); // continued after the checkpointed step 3
        Assert.Contains(reports, r => r.ValidationLoss is not null);
        Assert.True(double.IsFinite(best));
        var adapter = await LoraAdapter.LoadGgufAsync(options.OutputPath, CancellationToken.None);
        Assert.Equal(4, adapter.Rank);
    }

    [Fact]
    public async Task Runner_stops_early_when_validation_loss_stops_improving()
    {
        using var dir = TestPaths.CreateTempDir();
        string data = dir.File("train.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 6).Select(i =>
            $$"""{"instruction":"Name the dragon.","output":"Zog {{i}}."}"""));
        var reports = new List<FineTuneProgress>();
        var options = new FineTuneRunOptions
        {
            ModelPath = TestPaths.Shared("models", "stories260K", "stories260K.gguf"),
            DataPath = data,
            OutputPath = dir.File("a.gguf"),
            Lora = new LoraOptions { Rank = 2 },
            Training = new TrainingOptions { LearningRate = 0f, MaxSteps = 10, MaxSequenceLength = 32 }, // nothing can improve
            ValidationSplit = 0.34,
            EvalEvery = 1,
            EarlyStoppingPatience = 2,
        };
        await FineTuneRunner.RunAsync(options, new SyncProgress(reports.Add), CancellationToken.None);
        Assert.Equal(3, reports.Count); // best at step 1, then two evaluations without improvement
        Assert.True(File.Exists(options.OutputPath));
    }

    private sealed class SyncProgress(Action<FineTuneProgress> report) : IProgress<FineTuneProgress>
    {
        public void Report(FineTuneProgress value) => report(value);
    }
}
