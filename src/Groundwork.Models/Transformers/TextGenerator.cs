using System.Diagnostics;
using System.Runtime.CompilerServices;
using Groundwork.Models.Sampling;

namespace Groundwork.Models.Transformers;

/// <summary>
/// Streams generated text from a session: prompt prefill (reusing the cached prefix), sampling, UTF-8-safe incremental
/// decoding, and stops at end-of-generation tokens, stop sequences, the token limit or a full context.
/// <code>
/// await foreach (var piece in generator.GenerateAsync(prompt, options, ct)) Console.Write(piece.Text);
/// Console.WriteLine(generator.LastStats);
/// </code>
/// Not thread-safe: one generator (and session) per conversation.
/// </summary>
public sealed class TextGenerator
{
    private const int PrefillSlice = 512;

    /// <summary>Creates a generator with a new session over <paramref name="model"/>.</summary>
    public TextGenerator(LlamaModel model) : this((model ?? throw new ArgumentNullException(nameof(model))).CreateSession()) { }

    /// <summary>Creates a generator that runs <paramref name="session"/>.</summary>
    public TextGenerator(InferenceSession session) => Session = session ?? throw new ArgumentNullException(nameof(session));

    /// <summary>The session (KV cache) this generator runs.</summary>
    public InferenceSession Session { get; }

    /// <summary>Counts and timings of the last finished generation, or null before the first.</summary>
    public GenerationStats? LastStats { get; private set; }

    /// <summary>Tokenizes <paramref name="prompt"/> (BOS per <see cref="GenerationOptions.AddBos"/>) and streams the continuation.</summary>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        return GenerateAsync(EncodePrompt(prompt, options), options, cancellationToken);
    }

    /// <summary>Streams the continuation of <paramref name="promptTokens"/> (fed as they are; at least one token).</summary>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        options ??= new GenerationOptions();
        if (promptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens (an empty text prompt needs AddBos)", nameof(promptTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxTokens);
        if (promptTokens.Count >= Session.ContextLength)
            throw new ArgumentException($"the prompt ({promptTokens.Count} tokens) does not fit the context ({Session.ContextLength} tokens)", nameof(promptTokens));
        var sampler = SamplerPipeline.Create(options.Sampling, Session.Model.Config.VocabSize);
        return Run(promptTokens.ToArray(), options, sampler, cancellationToken);
    }

    /// <summary>Tokenizes a text prompt as <see cref="GenerateAsync(string, GenerationOptions?, CancellationToken)"/> does.</summary>
    public int[] EncodePrompt(string prompt, GenerationOptions options) => EncodePrompt(Session.Model, prompt, options);

    /// <summary>Tokenizes a text prompt for <paramref name="model"/>: BOS per <see cref="GenerationOptions.AddBos"/>, special-token text per <see cref="GenerationOptions.ParseSpecial"/>.</summary>
    public static int[] EncodePrompt(LlamaModel model, string prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var tok = model.Tokenizer;
        bool bos = options.AddBos ?? tok.AddBosByDefault;
        var ids = new List<int>();
        if (bos) ids.Add(tok.BosId);
        if (prompt.Length > 0) ids.AddRange(tok.Encode(prompt, addSpecial: false, parseSpecial: options.ParseSpecial));
        return [.. ids];
    }

    private async IAsyncEnumerable<GeneratedToken> Run(int[] prompt, GenerationOptions options, SamplerPipeline sampler,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await Task.Yield(); // do the work off the caller's synchronous context
        LastStats = null;
        var session = Session;
        var tok = session.Model.Tokenizer;
        var sw = Stopwatch.StartNew();

        // Reuse the cached prefix; at least the last prompt token is re-run to get fresh logits.
        int cached = 0;
        if (options.ReusePrefix)
        {
            var have = session.Tokens;
            int max = Math.Min(have.Length, prompt.Length - 1);
            while (cached < max && have[cached] == prompt[cached]) cached++;
        }

        session.Truncate(Math.Min(cached, session.Position));
        var rest = prompt.AsSpan(cached);
        // Prefill in slices so a long prompt can be cancelled part-way.
        for (int i = 0; i < rest.Length; i += PrefillSlice)
        {
            ct.ThrowIfCancellationRequested();
            var slice = rest.Slice(i, Math.Min(PrefillSlice, rest.Length - i));
            if (slice.Length == 1) session.Forward(slice[0]);
            else session.Prefill(slice);
        }
        foreach (var t in prompt.AsSpan(Math.Max(0, prompt.Length - options.Sampling.RepetitionLastN))) sampler.Accept(t);
        double promptSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();

        var decoder = tok.CreateDecoder();
        // SentencePiece's dummy prefix: right after BOS the first piece's leading space is not part of the text (llama2.c, llama.cpp).
        bool stripSpace = tok.AddSpacePrefix && prompt[^1] == tok.BosId;
        var stops = new StopSequenceMatcher(options.StopSequences);
        int generated = 0;
        var finish = GenerationFinishReason.MaxTokens;
        while (true)
        {
            if (generated >= options.MaxTokens) break;
            ct.ThrowIfCancellationRequested();
            int token = sampler.Sample(session.Logits);
            sampler.Accept(token);
            if (tok.IsEog(token))
            {
                finish = GenerationFinishReason.EndOfText;
                break;
            }

            generated++;
            string piece = decoder.Append(token);
            if (stripSpace && piece.Length > 0)
            {
                if (piece[0] == ' ') piece = piece[1..];
                stripSpace = false;
            }

            string text = stops.Push(piece);
            yield return new GeneratedToken(token, text);
            if (stops.Stopped)
            {
                finish = GenerationFinishReason.StopSequence;
                break;
            }

            if (generated >= options.MaxTokens) break;
            if (session.Position >= session.ContextLength)
            {
                finish = GenerationFinishReason.ContextFull;
                break;
            }

            ct.ThrowIfCancellationRequested();
            session.Forward(token);
        }

        if (!stops.Stopped)
        {
            string tail = stops.Push(decoder.Flush());
            tail += stops.Stopped ? "" : stops.Flush();
            if (stops.Stopped) finish = GenerationFinishReason.StopSequence;
            if (tail.Length > 0) yield return new GeneratedToken(-1, tail);
        }

        LastStats = new GenerationStats(prompt.Length, cached, generated, promptSeconds, sw.Elapsed.TotalSeconds, finish);
    }
}
