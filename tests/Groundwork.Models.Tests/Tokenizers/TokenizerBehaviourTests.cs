using Groundwork.Models.Gguf;
using Groundwork.Models.Tokenizers;
using Groundwork.Testing;
using Groundwork.Text;

namespace Groundwork.Models.Tests.Tokenizers;

public sealed class TokenizerBehaviourTests
{
    public static TheoryData<string, string> RoundTripCases()
    {
        string[] texts =
        [
            "Hello world! This is a test.",
            "café naïve résumé Ångström über Ωmega ß ǅ",
            "你好世界 こんにちは 안녕하세요 Привет мир",
            "emoji 🦙😀👍🏽 ❤️ 😶‍🌫️ 🇫🇷",
            "  two  spaces\tand\ttabs\n\n  newlines   ",
            "   leading and trailing   ",
            "3.14159 2024 1000000 555-0123 ٣٤٥",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters and \u0301 a lone combining mark",
        ];
        var data = new TheoryData<string, string>();
        foreach (var v in new[] { "llama-spm", "gpt-2", "phi-3", "tiny-llama", "tiny-qwen2" })
            foreach (var t in texts) data.Add(v, t);
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Decode_of_encode_is_the_identity(string vocab, string text)
    {
        var tok = TokenizerFixtures.Get(vocab);
        Assert.Equal(text, tok.Decode(tok.Encode(text, addSpecial: false, parseSpecial: false).ToArray()));
        Assert.Equal(text, tok.Decode(tok.Encode(text, addSpecial: true, parseSpecial: false).ToArray()));
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("gpt-2")]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    public void The_streaming_decoder_holds_back_split_characters(string vocab)
    {
        var tok = TokenizerFixtures.Get(vocab);
        const string text = "a🦙é 你好 x";
        var ids = tok.Encode(text, addSpecial: true, parseSpecial: false);
        // the emoji must really be split across tokens for this test to mean anything
        Assert.Contains(ids, id => tok.TokenToPieceBytes(id).Length > 0 && !IsCompleteUtf8(tok.TokenToPieceBytes(id)));

        var decoder = tok.CreateDecoder();
        var parts = ids.Select(decoder.Append).ToList();
        parts.Add(decoder.Flush());
        Assert.All(parts, p => Assert.DoesNotContain('\uFFFD', p));
        var joined = string.Concat(parts);
        Assert.Equal(tok.AddSpacePrefix ? " " + text : text, joined);
        Assert.Contains(parts, p => p.Contains("🦙", StringComparison.Ordinal)); // emitted whole, once complete
    }

    [Fact]
    public void The_streaming_decoder_flushes_an_incomplete_character_as_a_replacement()
    {
        var tok = TokenizerFixtures.Get("llama-spm");
        var ids = tok.Encode("🦙", addSpecial: false, parseSpecial: false); // ▁ + four byte tokens
        Assert.Equal(5, ids.Count);
        var decoder = tok.CreateDecoder();
        Assert.Equal(" ", decoder.Append(ids[0]));
        Assert.Equal("", decoder.Append(ids[1]));
        Assert.Equal("", decoder.Append(ids[2]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Append(tok.BosId)); // control tokens are skipped by default
        Assert.Equal("<s>", tok.CreateDecoder(renderSpecial: true).Append(tok.BosId));
    }

    private static bool IsCompleteUtf8(ReadOnlySpan<byte> bytes)
        => System.Text.Unicode.Utf8.IsValid(bytes);

    [Fact]
    public void Parse_special_turns_control_token_text_into_the_token()
    {
        var qwen = TokenizerFixtures.Get("tiny-qwen2");
        const string text = "Hi<|endoftext|>there";
        var parsed = qwen.Encode(text, addSpecial: false, parseSpecial: true);
        Assert.Equal(qwen.Encode("Hi", false, false).Concat([1023]).Concat(qwen.Encode("there", false, false)), parsed);
        var plain = qwen.Encode(text, addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(1023, plain);
        Assert.Equal(text, qwen.Decode(plain.ToArray()));
        Assert.Equal("Hithere", qwen.Decode(parsed.ToArray()));
        Assert.Equal(text, qwen.Decode(parsed.ToArray(), renderSpecial: true));
    }

    [Fact]
    public void Phi3_special_tokens_swallow_following_whitespace_and_user_defined_tokens_always_match()
    {
        var phi = TokenizerFixtures.Get("phi-3");
        var ids = phi.Encode("<|user|>\nHi<|end|>\n<|assistant|>", addSpecial: true, parseSpecial: true);
        Assert.Equal([1, 32010], ids.Take(2));
        Assert.Contains(32007, ids);
        Assert.Equal(32001, ids[^1]);
        Assert.DoesNotContain(13, ids); // the newlines after <|user|> and <|end|> are stripped (llama.cpp's RSTRIP for Phi-3)
        // "</s>" is user-defined in this vocabulary: matched even without parseSpecial
        Assert.Contains(2, phi.Encode("a</s>b", addSpecial: false, parseSpecial: false));
        Assert.DoesNotContain(32007, phi.Encode("<|end|>", addSpecial: false, parseSpecial: false));
    }

    [Fact]
    public void Special_ids_eog_and_defaults_follow_llamacpp()
    {
        var spm = TokenizerFixtures.Get("llama-spm");
        Assert.Equal((1, 2, 0, 32000), (spm.BosId, spm.EosId, spm.UnknownId, spm.VocabSize));
        Assert.True(spm.AddBosByDefault);
        Assert.False(spm.AddEosByDefault);
        Assert.True(spm.AddSpacePrefix);
        Assert.Equal([2], spm.EogIds);
        Assert.Equal("gguf:llama-spm", spm.Name);
        Assert.Equal("llama", spm.Model);

        var gpt2 = TokenizerFixtures.Get("gpt-2");
        Assert.Equal((50256, 50256), (gpt2.BosId, gpt2.EosId));
        Assert.False(gpt2.AddBosByDefault); // no add_bos_token key: llama.cpp adds no BOS for gpt-2
        Assert.Equal([50256], gpt2.EogIds);
        Assert.Equal("gpt2", gpt2.Model);
        Assert.Equal("Hello world", gpt2.Decode(gpt2.Encode("Hello world", addSpecial: true, parseSpecial: false).ToArray()));

        var phi = TokenizerFixtures.Get("phi-3");
        Assert.Equal([32000, 32007], phi.EogIds); // <|endoftext|> (EOS) and <|end|>
        Assert.True(phi.IsEog(32007));
        Assert.False(phi.IsEog(32001));
        Assert.Equal(32007, phi.EotId);
        Assert.Equal(TokenKind.Control, phi.GetKind(32010));

        var bert = TokenizerFixtures.Get("bert-bge");
        Assert.Equal((101, 102, 100), (bert.BosId, bert.SeparatorId, bert.UnknownId));
        var ids = bert.Encode("Hello world", addSpecial: true, parseSpecial: false);
        Assert.Equal([101, 7592, 2088, 102], ids);
        Assert.Equal("hello world", bert.Decode(ids.ToArray()));
    }

    [Fact]
    public void Spm_pieces_and_decode_handle_bos_byte_tokens_and_leading_space()
    {
        var spm = TokenizerFixtures.Get("llama-spm");
        var ids = spm.Encode("Hello\nworld", addSpecial: true, parseSpecial: false);
        Assert.Equal([1, 15043, 13, 11526], ids);
        Assert.Equal(" Hello", spm.TokenToPiece(15043));
        Assert.Equal("\n", spm.TokenToPiece(13));  // <0x0A> byte token
        Assert.Equal("<s>", spm.TokenToPiece(1));
        Assert.Equal("▁Hello", spm.GetTokenText(15043));
        Assert.Equal("Hello\nworld", spm.Decode(ids.ToArray()));
        Assert.Equal("<s>Hello\nworld", spm.Decode(ids.ToArray(), renderSpecial: true));
        Assert.True(spm.TryGetTokenId("▁world", out int w));
        Assert.Equal(3186, w);
        Assert.Throws<ArgumentOutOfRangeException>(() => spm.TokenToPiece(32000));
    }

    [Fact]
    public void ITokenizer_contract_counts_without_specials_and_appends()
    {
        ITokenizer tok = TokenizerFixtures.Get("llama-spm");
        const string text = "I believe the meaning of life is";
        Assert.Equal(7, tok.CountTokens(text));
        var ids = new List<int> { 42 };
        tok.Encode(text, ids, addSpecialTokens: true);
        Assert.Equal([42, 1, 306, 4658, 278, 6593, 310, 2834, 338], ids);
        Assert.Equal(text, tok.Decode(ids.Skip(1).ToArray()));
        Assert.Equal(0, tok.CountTokens(""));
    }

    [Fact]
    public async Task Bad_or_missing_tokenizer_metadata_is_reported_with_file_and_key()
    {
        using var dir = TestPaths.CreateTempDir("tok");
        async Task<string> Error(Action<GgufWriter> setup)
        {
            var w = new GgufWriter();
            w.SetMetadata("general.architecture", "llama");
            setup(w);
            var path = dir.File("v.gguf");
            await w.WriteAsync(path, CancellationToken.None);
            using var f = GgufFile.Open(path);
            return Assert.Throws<GgufException>(() => LlmTokenizer.FromGguf(f)).Message;
        }
        Assert.Equal("v.gguf: metadata key 'tokenizer.ggml.model' not found (the file has no tokenizer)", await Error(_ => { }));
        Assert.Equal("v.gguf: tokenizer model 't5' is not supported (supported: llama, gpt2, bert)",
            await Error(w => w.SetMetadata("tokenizer.ggml.model", "t5")));
        Assert.Equal("v.gguf: metadata key 'tokenizer.ggml.tokens' not found",
            await Error(w => w.SetMetadata("tokenizer.ggml.model", "llama")));
        Assert.Equal("v.gguf: tokenizer.ggml.scores has 1 entries but tokenizer.ggml.tokens has 2", await Error(w =>
        {
            w.SetMetadata("tokenizer.ggml.model", "llama");
            w.SetMetadata("tokenizer.ggml.tokens", ["a", "b"]);
            w.SetMetadata("tokenizer.ggml.scores", [0f]);
        }));
        Assert.Equal("v.gguf: pre-tokenizer 'mystery' (tokenizer.ggml.pre) is not supported", await Error(w =>
        {
            w.SetMetadata("tokenizer.ggml.model", "gpt2");
            w.SetMetadata("tokenizer.ggml.pre", "mystery");
            w.SetMetadata("tokenizer.ggml.tokens", ["a", "b"]);
            w.SetMetadata("tokenizer.ggml.merges", ["a b"]);
        }));
        Assert.Equal("v.gguf: metadata key 'tokenizer.ggml.merges' not found (required for the gpt2 tokenizer)", await Error(w =>
        {
            w.SetMetadata("tokenizer.ggml.model", "gpt2");
            w.SetMetadata("tokenizer.ggml.tokens", ["a", "b"]);
        }));
    }
}
