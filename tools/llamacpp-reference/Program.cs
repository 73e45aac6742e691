using System.Security.Cryptography;
using Groundwork.Models.Tests.Reference;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Training.Tests.Adapters;

// write-tiny OUT_DIR VOCAB.gguf : random-<type>.gguf for every type the quantizer writes, "name type sha256" per line.
// write OUT.gguf smollm2|qwen25 TYPE VOCAB.gguf : a benchmark-shaped model.
// write-lora OUT.gguf BASE.gguf SEED : RandomLoraAdapter for BASE, written by LoraAdapter.SaveGgufAsync; prints its sha256.
if (args.Length == 3 && args[0] == "write-tiny")
{
    Directory.CreateDirectory(args[1]);
    foreach (var type in TinyTypes.All)
    {
        var path = Path.Combine(args[1], $"random-{type}.gguf");
        await RandomLlamaGguf.WriteAsync(path, RandomLlamaSpec.Tiny, type, args[2], CancellationToken.None);
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        Console.WriteLine($"random-{type} {type} {hash}");
    }
    return 0;
}
if (args.Length == 5 && args[0] == "write")
{
    var spec = args[2] switch
    {
        "smollm2" => RandomLlamaSpec.SmolLm2_135M,
        "qwen25" => RandomLlamaSpec.Qwen25_05B,
        _ => throw new ArgumentException($"unknown shape '{args[2]}' (smollm2, qwen25)"),
    };
    await RandomLlamaGguf.WriteAsync(args[1], spec, Enum.Parse<GgmlType>(args[3]), args[4], CancellationToken.None);
    Console.WriteLine($"{args[1]}: {new FileInfo(args[1]).Length / 1e6:F1} MB");
    return 0;
}
if (args.Length == 4 && args[0] == "write-lora")
{
    using (var baseModel = GgufFile.Open(args[2]))
        await RandomLoraAdapter.Create(baseModel, ulong.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)).SaveGgufAsync(args[1], CancellationToken.None);
    Console.WriteLine(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(args[1]))));
    return 0;
}
Console.Error.WriteLine("usage: llamacpp-reference write-tiny OUT_DIR VOCAB.gguf | write OUT.gguf smollm2|qwen25 TYPE VOCAB.gguf | write-lora OUT.gguf BASE.gguf SEED");
return 2;

/// <summary>The tensor types the golden files cover (every type QuantizedOps.Quantize writes, except the Q8_1/Q8_K activation types).</summary>
internal static class TinyTypes
{
    public static readonly GgmlType[] All =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q6_K,
    ];
}
