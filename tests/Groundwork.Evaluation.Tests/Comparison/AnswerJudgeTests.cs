using Groundwork.Evaluation.Comparison;
using Groundwork.Testing;

namespace Groundwork.Evaluation.Tests.Comparison;

public sealed class AnswerJudgeTests
{
    [Theory]
    [InlineData("Score: 4\nReason: Correct but omits the year.", 4, false)]
    [InlineData("**Score:** 5\n**Reason:** Matches the reference.", 5, false)]
    [InlineData("score = 2/5\nreason: mostly wrong", 2, false)]
    [InlineData("I think it deserves a 4.", 1, true)]
    [InlineData("Score: 7\nReason: great", 1, true)]
    [InlineData("Score: 3\n", 1, true)]
    [InlineData("Score: 3\nScore: 5\nReason: unsure", 1, true)]
    [InlineData("", 1, true)]
    public void Parses_strictly_and_a_failure_scores_one(string reply, int score, bool failed)
    {
        var verdict = AnswerJudge.Parse(reply);
        Assert.Equal(score, verdict.Score);
        Assert.Equal(failed, verdict.Failed);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
    }

    [Fact]
    public async Task Verdicts_are_cached_in_a_file_keyed_by_question_reference_answer_and_model()
    {
        using var dir = TestPaths.CreateTempDir("judge");
        var cache = dir.File("judge-cache.json");
        var model = new ScriptedChatClient(_ => "Score: 4\nReason: Right number, missing detail.", "judge-a");
        var judge = new AnswerJudge(model, cachePath: cache);
        var first = await judge.JudgeAsync("How long?", ["16 weeks"], "16 weeks of leave");
        var again = await judge.JudgeAsync("How long?", ["16 weeks"], "16 weeks of leave");
        Assert.Equal(4, first.Score);
        Assert.False(first.Cached);
        Assert.True(again.Cached);
        Assert.Single(model.Calls);

        // A new judge reads the file: no model call for the same judgment; a different answer is a new call.
        var reloaded = new AnswerJudge(model, cachePath: cache);
        Assert.True((await reloaded.JudgeAsync("How long?", ["16 weeks"], "16 weeks of leave")).Cached);
        Assert.Single(model.Calls);
        await reloaded.JudgeAsync("How long?", ["16 weeks"], "12 weeks");
        Assert.Equal(2, model.Calls.Count);

        // The judge model is part of the key.
        Assert.NotEqual(AnswerJudge.Key("q", ["r"], "a", "judge-a"), AnswerJudge.Key("q", ["r"], "a", "judge-b"));
        var other = new ScriptedChatClient(_ => "Score: 2\nReason: other judge", "judge-b");
        Assert.Equal(2, (await new AnswerJudge(other, cachePath: cache).JudgeAsync("How long?", ["16 weeks"], "16 weeks of leave")).Score);
    }

    [Fact]
    public async Task An_unparseable_judgment_is_a_flagged_failure_not_nan_and_not_cached()
    {
        using var dir = TestPaths.CreateTempDir("judge");
        var model = new ScriptedChatClient(_ => "Looks fine to me!");
        var judge = new AnswerJudge(model, cachePath: dir.File("cache.json"));
        var items = TestCollection.Items.Take(2).ToList();
        var strategy = new ModelOnlyStrategy("base", TestCollection.BaseModel());
        var report = await new EvaluationRunner(new EvaluationOptions { Judge = judge }).RunAsync(items, [strategy]);
        Assert.Equal(2, report.Strategies[0].JudgeFailures);
        Assert.Equal(1.0, report.Strategies[0].Metrics[Groundwork.Evaluation.Comparison.MetricNames.Judge]);
        Assert.All(report.Items, i => Assert.True(i.Results["base"].Judge!.Failed));
        await judge.JudgeAsync(items[0].Question, items[0].Answers, "16 weeks.");
        Assert.Equal(3, model.Calls.Count);
    }
}
