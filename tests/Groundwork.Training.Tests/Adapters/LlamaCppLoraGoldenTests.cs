using System.Security.Cryptography;
using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Testing;

namespace Groundwork.Training.Tests.Adapters;

/// <summary>
/// Our GGUF LoRA adapters in llama.cpp: tools/llamacpp-reference/golden/lora holds llama.cpp's logits for a base model
/// with and without an adapter that <see cref="LoraAdapter.SaveGgufAsync"/> wrote (made by make-golden.sh there).
/// The adapter is regenerated here from the same seed and must hash to the manifest's sha256, so llama.cpp loaded
/// exactly the bytes our writer produces today; our runtime then applies it unmerged (InferenceSession.Adapter).
/// </summary>
public sealed class LlamaCppLoraGoldenTests
{
    private static string Golden => TestPaths.Repo("tools", "llamacpp-reference", "golden", "lora");

    /// <summary>Max |logit − llama.cpp logit| allowed; measured values in docs/finetuning.md and the tool's README.</summary>
    private static float Tolerance(string name) => name.EndsWith("Q8_0", StringComparison.Ordinal)
        ? 0.1f   // llama.cpp rounds activations to Q8_0 blocks with F16 scales for the base matmuls (as in LlamaCppGoldenLogitsTests)
        : 1e-4f; // F32: summation order only

    private sealed record Row(string Name, string Base, ulong Seed, string Sha256, int[] Tokens);

    private static Row[] Manifest() => File.ReadAllLines(Path.Combine(Golden, "manifest.tsv"))
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split('\t'))
        .Select(f => new Row(f[0], f[1], ulong.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), f[3], f[4].Split(',').Select(int.Parse).ToArray()))
        .ToArray();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var r in Manifest()) data.Add(r.Name);
        return data;
    }

    private static float[] ReadLogits(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Golden, file));
        var result = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        return result;
    }

    [Fact]
    public void Manifest_covers_stories260K_and_an_F32_and_a_quantized_base()
    {
        var bases = Manifest().Select(r => r.Base).ToArray();
        Assert.Contains("stories260K/stories260K.gguf", bases);
        Assert.Contains("tiny-random/tiny-llama-F32.gguf", bases);
        Assert.Contains("tiny-random/tiny-llama-Q8_0.gguf", bases);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Adapter_logits_match_llama_cpp(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var row = Manifest().Single(r => r.Name == name);
        string basePath = TestPaths.Shared(["models", .. row.Base.Split('/')]);
        using var dir = TestPaths.CreateTempDir("lora-golden");
        string adapterPath = dir.File(name + ".gguf"); // general.name is the file name: same name, same bytes
        using (var f = GgufFile.Open(basePath))
            await RandomLoraAdapter.Create(f, row.Seed).SaveGgufAsync(adapterPath, ct);
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(adapterPath, ct)));
        Assert.True(hash == row.Sha256,
            $"{name}: the regenerated adapter's sha256 {hash} differs from golden/lora/manifest.tsv's {row.Sha256}: the adapter writer changed; rerun tools/llamacpp-reference/make-golden.sh lora");

        var expectedBase = ReadLogits(name + ".base.logits.f32");
        var expected = ReadLogits(name + ".logits.f32");
        using var model = LlamaModel.Load(basePath, new ModelLoadOptions { ContextLength = 64 });
        int vocab = model.Config.VocabSize;
        Assert.Equal(row.Tokens.Length * vocab, expected.Length);
        var adapter = await LoraAdapter.LoadAsync(adapterPath, model.Config, ct);

        var plain = new float[expected.Length];
        model.CreateSession().Prefill(row.Tokens, plain);
        var session = model.CreateSession();
        session.Adapter = adapter;
        var actual = new float[expected.Length];
        session.Prefill(row.Tokens, actual);

        float tol = Tolerance(name);
        float baseDiff = LogitChecks.MaxAbsDiff(plain, expectedBase), diff = LogitChecks.MaxAbsDiff(actual, expected);
        float llamaMoved = LogitChecks.MaxAbsDiff(expected, expectedBase), ourMoved = LogitChecks.MaxAbsDiff(actual, plain);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{name}: max |Δlogit| vs llama.cpp {diff:G3} (base {baseDiff:G3}); the adapter moves llama.cpp's logits by up to {llamaMoved:G3}, ours by {ourMoved:G3}");
        // the adapter must really act, in llama.cpp and here, or agreement would prove nothing: llama.cpp's adapted
        // logits are far outside the tolerance of its base ones, so a runtime ignoring the adapter fails below
        Assert.True(llamaMoved > 5 * tol, $"{name}: llama.cpp's logits moved only {llamaMoved:G3} with the adapter");
        Assert.True(ourMoved > 5 * tol, $"{name}: our logits moved only {ourMoved:G3} with the adapter");
        Assert.True(LogitChecks.MaxAbsDiff(plain, expected) > 2 * tol, $"{name}: our base logits are within {2 * tol} of llama.cpp's adapted ones");
        Assert.True(baseDiff <= tol, $"{name}: base max |Δlogit| vs llama.cpp {baseDiff:G4} > {tol}");
        Assert.True(diff <= tol, $"{name}: base + adapter max |Δlogit| vs llama.cpp {diff:G4} > {tol}");

        // top-1 agrees wherever llama.cpp's top two are not nearly tied
        LogitChecks.AssertTop1AgreesWhereNotTied(expected, actual, vocab, row.Tokens.Length, 2 * tol);

        // decoding one token at a time applies the adapter the same way as the batched prefill
        var step = model.CreateSession();
        step.Adapter = adapter;
        for (int pos = 0; pos < row.Tokens.Length; pos++)
        {
            var l = step.Forward(row.Tokens[pos]);
            float d = LogitChecks.MaxAbsDiff(l, actual.AsSpan(pos * vocab, vocab));
            Assert.True(d <= 1e-4f, $"{name}: position {pos} step vs prefill max |Δ| {d:G4}");
        }
    }

    [Fact]
    public async Task An_adapter_for_another_model_is_refused_with_one_line()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.CreateTempDir("lora-mismatch");
        string adapterPath = dir.File("stories.gguf");
        using (var f = GgufFile.Open(TestPaths.Shared("models", "stories260K", "stories260K.gguf")))
            await RandomLoraAdapter.Create(f, 1).SaveGgufAsync(adapterPath, ct);
        using var model = LlamaModel.Load(TestPaths.Shared("models", "tiny-random", "tiny-llama-F32.gguf"), new ModelLoadOptions { ContextLength = 16 });
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LoraAdapter.LoadAsync(adapterPath, model.Config, ct));
        Assert.Contains("stories.gguf", e.Message, StringComparison.Ordinal);
        Assert.Contains("blk.0.attn_q.weight", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
