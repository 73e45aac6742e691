namespace Groundwork.Text;

/// <summary>
/// A tokenizer as the rest of Groundwork sees it: chunking and context budgets count tokens with it.
/// Model tokenizers (GGUF SentencePiece/BPE/WordPiece) implement it; <c>Groundwork.Ingestion</c> ships
/// a model-free default.
/// </summary>
public interface ITokenizer
{
    /// <summary>A short stable name, recorded with what was measured by it (e.g. "default-v1", "gguf:SmolLM2-135M").</summary>
    string Name { get; }

    /// <summary>Counts the tokens of <paramref name="text"/> without special tokens.</summary>
    int CountTokens(ReadOnlySpan<char> text);

    /// <summary>Encodes <paramref name="text"/> into token ids, appending them to <paramref name="ids"/>.</summary>
    void Encode(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = false);

    /// <summary>Decodes token ids back into text.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
