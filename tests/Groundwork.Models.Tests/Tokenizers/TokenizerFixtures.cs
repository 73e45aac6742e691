using System.Collections.Concurrent;
using Groundwork.Models.Gguf;
using Groundwork.Models.Tokenizers;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Tokenizers;

/// <summary>Tokenizers of the shared GGUF files, built once per test run (the GGUF is only read while building).</summary>
internal static class TokenizerFixtures
{
    private static readonly ConcurrentDictionary<string, Lazy<LlmTokenizer>> Cache = new();

    public static string VocabPath(string name) => TestPaths.Shared("models", "llamacpp-vocab", $"ggml-vocab-{name}.gguf");

    /// <summary>"llama-spm", "gpt-2", "phi-3", "bert-bge" (llamacpp-vocab), "tiny-llama", "tiny-qwen2" (tiny-random F32).</summary>
    public static LlmTokenizer Get(string name) => Cache.GetOrAdd(name, n => new Lazy<LlmTokenizer>(() =>
    {
        var path = n switch
        {
            "tiny-llama" => TestPaths.Shared("models", "tiny-random", "tiny-llama-F32.gguf"),
            "tiny-qwen2" => TestPaths.Shared("models", "tiny-random", "tiny-qwen2-F32.gguf"),
            "stories260K" => TestPaths.Shared("models", "stories260K", "stories260K.gguf"),
            _ => VocabPath(n),
        };
        using var file = GgufFile.Open(path);
        return LlmTokenizer.FromGguf(file);
    })).Value;

    /// <summary>llama.cpp's test vectors: inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input.</summary>
    public static List<(string Text, int[] Ids)> Vectors(string name)
    {
        var inputs = File.ReadAllText(VocabPath(name) + ".inp").Split("\n__ggml_vocab_test__\n");
        var lines = File.ReadAllText(VocabPath(name) + ".out").Split('\n');
        // both files end with a terminator, leaving one empty trailing element
        Assert.Equal("", inputs[^1]);
        Assert.Equal("", lines[^1]);
        Assert.Equal(inputs.Length, lines.Length);
        var result = new List<(string, int[])>();
        for (int i = 0; i < inputs.Length - 1; i++)
            result.Add((inputs[i], lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()));
        return result;
    }
}
