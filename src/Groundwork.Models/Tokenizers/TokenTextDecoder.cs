using System.Text;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// Turns a stream of generated token ids into text, returning only complete UTF-8 characters: a character split across
/// tokens (byte-fallback pieces, byte-level BPE pieces) is held back until its last byte arrives. Pieces are rendered
/// as they are (no leading-space strip, no space clean-up); control tokens are skipped unless asked for.
/// </summary>
public sealed class TokenTextDecoder
{
    private readonly LlmTokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Creates a decoder for <paramref name="tokenizer"/>'s pieces.</summary>
    public TokenTextDecoder(LlmTokenizer tokenizer, bool renderSpecial = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _renderSpecial = renderSpecial;
    }

    /// <summary>Appends one token and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        if (!_renderSpecial && _tokenizer.IsSpecialForDecode(id)) return "";
        return Decode(_tokenizer.TokenToPieceBytes(id), flush: false);
    }

    /// <summary>Ends the stream: returns whatever is buffered, with an incomplete character rendered as U+FFFD.</summary>
    public string Flush() => Decode(ReadOnlySpan<byte>.Empty, flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Always feed the decoder (GetCharCount alone does not consume bytes): it keeps an incomplete sequence pending.
        int max = _decoder.GetCharCount(bytes, flush);
        if (_chars.Length < max) _chars = new char[Math.Max(max, _chars.Length * 2)];
        int n = _decoder.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
