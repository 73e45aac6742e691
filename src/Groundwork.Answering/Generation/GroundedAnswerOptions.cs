namespace Groundwork.Answering.Generation;

/// <summary>What to do with answer sentences the cited sources do not support.</summary>
public enum GroundingPolicy
{
    /// <summary>Keep them, marked unsupported.</summary>
    Flag,
    /// <summary>Remove them; if nothing supported remains, abstain.</summary>
    Strip,
    /// <summary>Refuse the whole answer if any sentence is unsupported.</summary>
    Refuse,
}

/// <summary>Settings of the generated-answer pipeline.</summary>
public sealed record GroundedAnswerOptions
{
    /// <summary>The model's context window in tokens.</summary>
    public int ContextWindow { get; init; } = 4096;
    /// <summary>Tokens kept free for the answer.</summary>
    public int AnswerReserve { get; init; } = 512;
    /// <summary>Tokens allowed for the chat template's own markup (role headers, separators) around the messages.</summary>
    public int TemplateOverheadTokens { get; init; } = 32;
    /// <summary>Chunks retrieved before assembly.</summary>
    public int Candidates { get; init; } = 12;
    /// <summary>Most sources placed in the prompt.</summary>
    public int MaxSources { get; init; } = 8;
    /// <summary>
    /// Retrieval confidence (the best candidate sentence's weighted coverage of the question's terms) below which
    /// the pipeline abstains without calling the model.
    /// </summary>
    public double MinRetrievalConfidence { get; init; } = 0.34;
    /// <summary>A sentence is supported when its support score reaches this.</summary>
    public double SupportThreshold { get; init; } = 0.5;
    /// <summary>What to do with unsupported sentences.</summary>
    public GroundingPolicy Policy { get; init; } = GroundingPolicy.Flag;
    /// <summary>Ask the model for a verbatim quote per citation.</summary>
    public bool RequestQuotes { get; init; } = true;
    /// <summary>Rewrite a follow-up question into a standalone one using the conversation (one model call).</summary>
    public bool RewriteQuery { get; init; } = true;
    /// <summary>Sampling temperature for the answer.</summary>
    public float Temperature { get; init; }
    /// <summary>Use and fill the answer cache.</summary>
    public bool UseCache { get; init; } = true;
}
