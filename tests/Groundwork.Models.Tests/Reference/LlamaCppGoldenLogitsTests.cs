using System.Security.Cryptography;
using Groundwork.Models.Transformers;
using Groundwork.Numerics.Quantization;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Reference;

/// <summary>
/// Our logits against llama.cpp's (tools/llamacpp-reference/golden, made by make-golden.sh there) for stories260K and
/// for random tiny llamas that our own GgufWriter + quantizer write, one per tensor type. The GGUFs are regenerated
/// here from the same seed; their sha256 must match the manifest, or the golden logits are for other bytes.
/// </summary>
public sealed class LlamaCppGoldenLogitsTests
{
    private static string Golden => TestPaths.Repo("tools", "llamacpp-reference", "golden");

    /// <summary>Max |logit − llama.cpp logit| allowed per type; measured values in tools/llamacpp-reference/README.md.</summary>
    private static float Tolerance(string type) => type switch
    {
        "F32" or "Q4_K" or "Q6_K" => 1e-4f, // measured ≤ 5.7e-6
        "F16" => 5e-3f,  // measured 0.0017 (llama.cpp rounds activations to F16)
        "BF16" => 3e-2f, // measured 0.015 (activations rounded to BF16)
        _ => 0.1f, // measured 0.045–0.055; Q8_0, Q4_0, Q4_1, Q5_0, Q5_1: llama.cpp keeps its activation blocks' scales in F16
    };

    private sealed record Row(string Name, string Type, string Sha256, int[] Tokens);

    private static Row[] Manifest() => File.ReadAllLines(Path.Combine(Golden, "manifest.tsv"))
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split('\t'))
        .Select(f => new Row(f[0], f[1], f[2], f[3].Split(',').Select(int.Parse).ToArray()))
        .ToArray();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var r in Manifest()) data.Add(r.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Logits_match_llama_cpp(string name)
    {
        var row = Manifest().Single(r => r.Name == name);
        using var dir = TestPaths.CreateTempDir("llamacpp-ref");
        string path;
        if (row.Sha256.Length == 0)
        {
            path = TestPaths.Shared("models", "stories260K", name + ".gguf");
        }
        else
        {
            path = dir.File(name + ".gguf");
            var stories = TestPaths.Shared("models", "stories260K", "stories260K.gguf");
            await RandomLlamaGguf.WriteAsync(path, RandomLlamaSpec.Tiny, Enum.Parse<GgmlType>(row.Type), stories, TestContext.Current.CancellationToken);
            var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken)));
            Assert.True(hash == row.Sha256,
                $"{name}: the regenerated GGUF's sha256 {hash} differs from manifest.tsv's {row.Sha256}: the writer or quantizer changed; rerun tools/llamacpp-reference/make-golden.sh");
        }

        var bytes = await File.ReadAllBytesAsync(Path.Combine(Golden, name + ".logits.f32"), TestContext.Current.CancellationToken);
        var expected = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, expected, 0, bytes.Length);

        using var model = LlamaModel.Load(path, new ModelLoadOptions { ContextLength = 64 });
        int vocab = model.Config.VocabSize;
        Assert.Equal(row.Tokens.Length * vocab, expected.Length);

        var session = model.CreateSession();
        var actual = new float[expected.Length];
        session.Prefill(row.Tokens, actual);

        float tol = Tolerance(row.Type);
        float maxDiff = LogitChecks.MaxAbsDiff(actual, expected);
        TestContext.Current.TestOutputHelper?.WriteLine($"{name}: max |Δlogit| {maxDiff:G3}");
        Assert.True(maxDiff <= tol, $"{name}: max |Δlogit| vs llama.cpp {maxDiff:G4} > {tol}");

        // top-1 agrees wherever llama.cpp's top two are not nearly tied
        LogitChecks.AssertTop1AgreesWhereNotTied(expected, actual, vocab, row.Tokens.Length, 2 * tol);

        // one token at a time gives the same logits as the batched prefill
        var step = model.CreateSession();
        float maxPath = 0;
        for (int pos = 0; pos < row.Tokens.Length; pos++)
        {
            var l = step.Forward(row.Tokens[pos]);
            for (int v = 0; v < vocab; v++) maxPath = Math.Max(maxPath, Math.Abs(l[v] - actual[pos * vocab + v]));
        }
        Assert.True(maxPath <= 1e-4f, $"{name}: step vs prefill max |Δ| {maxPath:G4}");
    }

    [Fact]
    public void Fallback_types_follow_llama_quantize()
    {
        Assert.Equal(GgmlType.Q4_K, RandomLlamaGguf.EffectiveType(GgmlType.Q4_K, 1536));
        Assert.Equal(GgmlType.Q5_0, RandomLlamaGguf.EffectiveType(GgmlType.Q4_K, 576));
        Assert.Equal(GgmlType.Q8_0, RandomLlamaGguf.EffectiveType(GgmlType.Q6_K, 896));
        Assert.Equal(GgmlType.F16, RandomLlamaGguf.EffectiveType(GgmlType.Q8_0, 48));
    }
}
