namespace Groundwork.Models.Tokenizers;

/// <summary>Token kinds as GGUF stores them in <c>tokenizer.ggml.token_type</c>.</summary>
public enum TokenKind
{
    /// <summary>0: undefined (rendered as nothing, like llama.cpp).</summary>
    Undefined = 0,
    /// <summary>1: an ordinary vocabulary piece.</summary>
    Normal = 1,
    /// <summary>2: the unknown token (and padding placeholders).</summary>
    Unknown = 2,
    /// <summary>3: a control token such as BOS, EOS, "&lt;|im_start|&gt;".</summary>
    Control = 3,
    /// <summary>4: a user-defined token, always matched as a whole in input text.</summary>
    UserDefined = 4,
    /// <summary>5: an unused slot.</summary>
    Unused = 5,
    /// <summary>6: a byte-fallback token "&lt;0xXX&gt;" (SentencePiece).</summary>
    Byte = 6,
}
