using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Groundwork.Evaluation.Reports;
using Microsoft.Extensions.AI;

namespace Groundwork.Evaluation.Comparison;

/// <summary>
/// LLM-as-judge: scores an answer's correctness against the reference answers from 1 to 5 with a fixed rubric and a
/// one-line reason. Verdicts are cached in a JSON file keyed by SHA-256 of (question, references, answer, judge
/// model), so re-running a report costs no judge calls. A reply that does not parse is a failure: score 1, flagged
/// (never NaN), and not cached, so a later run asks again.
/// </summary>
public sealed partial class AnswerJudge
{
    /// <summary>The rubric the judge is given.</summary>
    public const string Rubric = """
        You grade answers to questions against reference answers. Score the candidate answer's correctness:
        5 = fully correct and complete: every fact in the reference is present and nothing contradicts it.
        4 = correct but missing a minor detail, or with a harmless extra detail.
        3 = partly correct: some key facts right, some missing or wrong.
        2 = mostly wrong or irrelevant, with at most a minor correct element.
        1 = wrong, contradicts the reference, or declines to answer a question the reference answers.
        Judge only factual agreement with the reference, not style or length.
        Reply with exactly two lines and nothing else:
        Score: <1-5>
        Reason: <one sentence>
        """;

    private readonly IChatClient _judge;
    private readonly string _model;
    private readonly string? _cachePath;
    private readonly Dictionary<string, JudgeVerdict> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _loaded;

    /// <summary>Creates a judge.</summary>
    /// <param name="judge">The judging model.</param>
    /// <param name="model">The judge model's name (part of the cache key); default from the client's metadata.</param>
    /// <param name="cachePath">JSON cache file (created when missing); null for no cache.</param>
    public AnswerJudge(IChatClient judge, string? model = null, string? cachePath = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        _judge = judge;
        _model = model ?? judge.GetService<ChatClientMetadata>()?.DefaultModelId ?? "judge";
        _cachePath = cachePath;
    }

    /// <summary>Judge calls made (cache misses) so far.</summary>
    public int Calls { get; private set; }

    /// <summary>The cache key of a judgment.</summary>
    public static string Key(string question, IReadOnlyList<string> references, string answer, string judgeModel) =>
        ContentHash.Of(string.Join('\u001f', [question, string.Join('\u001e', references), answer, judgeModel]));

    /// <summary>Judges one answer.</summary>
    public async Task<JudgeVerdict> JudgeAsync(string question, IReadOnlyList<string> references, string answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(answer);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        var key = Key(question, references, answer, _model);
        if (_cache.TryGetValue(key, out var cached)) return cached with { Cached = true };

        var user = new StringBuilder();
        user.Append("Question: ").AppendLine(question);
        for (int i = 0; i < references.Count; i++) user.Append(CultureInfo.InvariantCulture, $"Reference answer {i + 1}: ").AppendLine(references[i]);
        user.Append("Candidate answer: ").AppendLine(answer);
        var response = await _judge.GetResponseAsync(
            [new ChatMessage(ChatRole.System, Rubric), new ChatMessage(ChatRole.User, user.ToString())],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 96 }, cancellationToken).ConfigureAwait(false);
        Calls++;
        var verdict = Parse(response.Text);
        if (!verdict.Failed)
        {
            _cache[key] = verdict;
            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }
        return verdict;
    }

    /// <summary>Parses "Score: n" and "Reason: ..." lines; anything else is a failure (score 1, flagged).</summary>
    public static JudgeVerdict Parse(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return new JudgeVerdict(1, "judge failure: empty reply", Failed: true);
        var score = ScoreLine().Match(reply);
        var reason = ReasonLine().Match(reply);
        if (!score.Success) return new JudgeVerdict(1, "judge failure: no 'Score: 1-5' line in reply: " + Clip(reply), Failed: true);
        var scores = ScoreLine().Matches(reply);
        if (scores.Count > 1 && scores.Select(m => m.Groups[1].Value).Distinct().Count() > 1)
            return new JudgeVerdict(1, "judge failure: conflicting scores in reply: " + Clip(reply), Failed: true);
        var text = reason.Success ? reason.Groups[1].Value.Trim() : "";
        if (text.Length == 0) return new JudgeVerdict(1, "judge failure: no 'Reason:' line in reply: " + Clip(reply), Failed: true);
        return new JudgeVerdict(score.Groups[1].Value[0] - '0', text);
    }

    private static string Clip(string s)
    {
        s = s.ReplaceLineEndings(" ").Trim();
        return s.Length <= 80 ? s : s[..80] + "…";
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded) return;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded) return;
            if (_cachePath is not null && File.Exists(_cachePath))
            {
                var stream = File.OpenRead(_cachePath);
                await using (stream.ConfigureAwait(false))
                {
                    try
                    {
                        var entries = await JsonSerializer.DeserializeAsync<Dictionary<string, JudgeVerdict>>(stream, ReportJson.Options, cancellationToken).ConfigureAwait(false);
                        foreach (var (k, v) in entries ?? []) _cache[k] = v with { Cached = false };
                    }
                    catch (JsonException ex)
                    {
                        throw new InvalidDataException($"{_cachePath}:{(ex.LineNumber ?? 0) + 1}: judge cache is not valid JSON: {ex.Message}", ex);
                    }
                }
            }
            _loaded = true;
        }
        finally { _lock.Release(); }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (_cachePath is null) return;
        var directory = Path.GetDirectoryName(Path.GetFullPath(_cachePath));
        if (directory is not null) Directory.CreateDirectory(directory);
        var temp = _cachePath + ".tmp";
        var stream = File.Create(temp);
        await using (stream.ConfigureAwait(false))
            await JsonSerializer.SerializeAsync(stream, _cache, ReportJson.Options, cancellationToken).ConfigureAwait(false);
        File.Move(temp, _cachePath, overwrite: true);
    }

    [GeneratedRegex(@"^\s*\**\s*score\s*\**\s*[:=]\s*\**\s*([1-5])\s*\**\s*(?:/\s*5)?\s*$", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ScoreLine();

    [GeneratedRegex(@"^\s*\**\s*reason\s*\**\s*:\s*\**\s*(.+)$", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ReasonLine();
}
