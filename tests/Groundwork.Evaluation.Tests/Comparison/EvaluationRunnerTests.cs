using Groundwork.Answering.Generation;
using Groundwork.Evaluation.Comparison;
using Groundwork.Evaluation.Reports;
using Groundwork.Ingestion.Tokenization;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Comparison;

public sealed class EvaluationRunnerTests : IAsyncLifetime
{
    private TestCollection _c = null!;

    public async ValueTask InitializeAsync() => _c = await TestCollection.CreateAsync();

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task Runs_every_strategy_over_the_same_items_and_scores_them()
    {
        var notes = new List<string>();
        var rag = TestCollection.RagModel();
        var strategies = new List<IAnswerStrategy>
        {
            new ExtractiveStrategy(new Groundwork.Answering.ExtractiveAnswerer(_c.Retriever)),
            new RagStrategy("rag", _c.Retriever, rag, new DefaultTokenizer(), options: new GroundedAnswerOptions { RewriteQuery = false }),
            new ModelOnlyStrategy("base", TestCollection.BaseModel(), new DefaultTokenizer()),
        };
        var prices = new PriceTable(new Dictionary<string, ModelPrice> { ["rag-model"] = new(1.0, 2.0), ["base-model"] = new(0.5, 0.5) });
        var report = await new EvaluationRunner(new EvaluationOptions { Prices = prices, Dataset = "tiny", Notes = notes }).RunAsync(TestCollection.Items, strategies);

        Assert.Equal(["extractive", "rag", "base"], report.Strategies.Select(s => s.Name));
        Assert.Equal(4, report.Items.Count);
        Assert.All(report.Items, i => Assert.Equal(3, i.Results.Count));

        // RAG: the scripted model cites the right source; citations verify and cover every sentence.
        var ragLeave = report.Items[0].Results["rag"];
        Assert.False(ragLeave.Abstained, ragLeave.Answer);
        Assert.Contains("16 weeks", ragLeave.Answer, StringComparison.Ordinal);
        Assert.Equal(1.0, ragLeave.Metrics[MetricNames.CitationPrecision]);
        Assert.Equal(1.0, ragLeave.Metrics[MetricNames.CitationRecall]);
        Assert.Equal(1.0, ragLeave.Metrics[MetricNames.DocumentRecall]);
        Assert.Equal(1.0, ragLeave.Metrics[MetricNames.AnswerInContext]);
        Assert.True(ragLeave.Metrics[MetricNames.F1] is > 0.3 and < 1.0);
        Assert.True(ragLeave.PromptTokens > 0 && ragLeave.CompletionTokens > 0);
        Assert.Equal((ragLeave.PromptTokens * 1.0 + ragLeave.CompletionTokens * 2.0) / 1e6, ragLeave.CostUsd!.Value, 12);
        Assert.Contains("policy.md", ragLeave.Sources.Select(s => s.Document));

        // Base: no retrieval, so no evidence metrics; exact answer on the one question it knows, abstains elsewhere.
        var baseLeave = report.Items[0].Results["base"];
        Assert.Equal(1.0, baseLeave.Metrics[MetricNames.ExactMatch]);
        Assert.False(baseLeave.Metrics.ContainsKey(MetricNames.DocumentRecall));
        Assert.Empty(baseLeave.Sources);
        Assert.True(report.Items[1].Results["base"].Abstained);
        Assert.Equal(0.0, report.Items[1].Results["base"].Metrics[MetricNames.F1]);

        // Extractive: cites verbatim sentences; recall of the gold document.
        var ex = report.Items[0].Results["extractive"];
        Assert.False(ex.Abstained, ex.Answer);
        Assert.Contains("16 weeks", ex.Answer, StringComparison.Ordinal);
        Assert.Equal(1.0, ex.Metrics[MetricNames.DocumentRecall]);
        Assert.Equal(0.0, ex.CostUsd);

        // The unanswerable item: scored on abstention only.
        var mars = report.Items[3];
        Assert.False(mars.Results["rag"].Metrics.ContainsKey(MetricNames.F1));
        Assert.Equal(mars.Results["base"].Abstained ? 1.0 : 0.0, mars.Results["base"].Metrics[MetricNames.UnanswerableAbstained]);

        // Aggregates are the means of the per-item values; latency covers every item.
        foreach (var s in report.Strategies)
        {
            var f1s = report.Items.Select(i => i.Results[s.Name].Metrics.GetValueOrDefault(MetricNames.F1)).OfType<double>().ToList();
            Assert.Equal(3, f1s.Count);
            Assert.Equal(f1s.Average(), s.Metrics[MetricNames.F1]!.Value, 12);
            Assert.Equal(4, s.Latency["total"].Count);
            Assert.True(s.Latency["total"].P50 <= s.Latency["total"].P95 && s.Latency["total"].P95 <= s.Latency["total"].P99);
        }
        Assert.Equal(report.Items.Sum(i => i.Results["rag"].CostUsd!.Value), report.Strategies[1].CostUsd!.Value, 12);
        Assert.NotNull(report.Recommendation);
        Assert.Equal(5, report.Recommendation!.Axes.Count);
    }

    [Fact]
    public async Task Model_strategies_are_skipped_with_a_note_when_no_model_is_configured()
    {
        var notes = new List<string>();
        var strategies = AnswerStrategies.Create(["extractive", "rag", "base", "finetuned", "hybrid"], _c.Retriever, new DefaultTokenizer(), null, null, notes);
        Assert.Equal(["extractive"], strategies.Select(s => s.Name));
        Assert.Equal(4, notes.Count);
        Assert.All(notes, n => Assert.StartsWith("skipped '", n, StringComparison.Ordinal));
        var error = Assert.Throws<ArgumentException>(() => AnswerStrategies.Create(["rag", "magic"], _c.Retriever, new DefaultTokenizer(), null, null, notes));
        Assert.Contains("unknown strategy 'magic'", error.Message, StringComparison.Ordinal);

        var report = await new EvaluationRunner(new EvaluationOptions { Limit = 2, Notes = notes }).RunAsync(TestCollection.Items, strategies);
        Assert.Equal(2, report.Items.Count);
        Assert.Contains("Only one strategy", report.Recommendation!.Overall, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_strategy_is_recorded_per_item_not_fatal()
    {
        var broken = new ModelOnlyStrategy("base", new ScriptedChatClient(_ => throw new InvalidOperationException("server down")));
        var report = await new EvaluationRunner().RunAsync(TestCollection.Items, [broken]);
        Assert.Equal(4, report.Strategies[0].Errors);
        Assert.Equal("server down", report.Items[0].Results["base"].Error);
        Assert.Equal(0.0, report.Strategies[0].Metrics[MetricNames.F1]);
    }

    [Fact]
    public async Task Update_cost_measures_reingest_and_a_correct_answer()
    {
        var policy = Path.Combine(_c.Docs, "policy.md");
        File.WriteAllText(policy, TestCollection.Policy.Replace("16 weeks", "20 weeks", StringComparison.Ordinal));
        var probe = TestCollection.Items[0] with { Answers = ["20 weeks"] };
        var strategy = new ExtractiveStrategy(new Groundwork.Answering.ExtractiveAnswerer(_c.Retriever));
        var before = await strategy.AnswerAsync(probe);
        Assert.DoesNotContain("20 weeks", before.Text, StringComparison.Ordinal);

        var cost = await UpdateCost.MeasureAsync(ct => _c.Ingestor.IngestAsync([policy], null, null, ct), strategy, probe, fineTuneSeconds: 3600);
        Assert.True(cost.RagCorrect);
        Assert.InRange(cost.RagSeconds, 1e-6, 60);
        Assert.Equal(3600, cost.FineTuneSeconds);
        var verdict = Recommender.Recommend(new EvaluationReport { UpdateCost = cost }).Axes.Single(a => a.Axis == "update cost");
        Assert.Equal("rag", verdict.Winner);
        Assert.False(UpdateCost.IsCorrect("Parents get 16 weeks [1].", ["20 weeks"]));
    }

    [Fact]
    public async Task Report_json_round_trips()
    {
        var strategies = new List<IAnswerStrategy>
        {
            new ExtractiveStrategy(new Groundwork.Answering.ExtractiveAnswerer(_c.Retriever)),
            new ModelOnlyStrategy("base", TestCollection.BaseModel()),
        };
        var report = await new EvaluationRunner(new EvaluationOptions { Dataset = "tiny", IndexBytes = 1234 }).RunAsync(TestCollection.Items, strategies);
        using var dir = TestPaths.CreateTempDir("report");
        var (json, md, html) = await ReportWriter.WriteAsync(report, dir.Path);
        var back = await ReportJson.ReadAsync(json);
        Assert.Equal(ReportJsonText(report), ReportJsonText(back));
        Assert.Equal(report.Items[0].Results["extractive"].Answer, back.Items[0].Results["extractive"].Answer);
        Assert.Equal(1234, back.IndexBytes);
        Assert.Contains("## Recommendation", File.ReadAllText(md), StringComparison.Ordinal);
        Assert.True(new FileInfo(html).Length > 1000);

        File.WriteAllText(json, "{\"schemaVersion\": \"x\"");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReportJson.ReadAsync(json));
        Assert.StartsWith(json + ":", error.Message, StringComparison.Ordinal);
    }

    private static string ReportJsonText(EvaluationReport report) => System.Text.Json.JsonSerializer.Serialize(report, ReportJson.Options);
}
