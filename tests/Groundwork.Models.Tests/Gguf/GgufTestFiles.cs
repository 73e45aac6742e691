using System.Buffers.Binary;
using System.Text;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Models.Tests.Gguf;

/// <summary>Builds small valid GGUF files with the writer and patches their bytes to make corrupt ones.</summary>
internal static class GgufTestFiles
{
    public static readonly float[] AaValues = [1f, -2f, 3.5f, 0f, 1e-3f, 7f, -8f, 9.25f];

    /// <summary>Writes the canonical test file: 3 keys, tensors "tensor_aa" (F32 [4,2]) and "tensor_ab" (Q8_0 [32,2]).</summary>
    public static byte[] Canonical(int alignment = 32)
    {
        var w = new GgufWriter { Alignment = alignment };
        w.SetMetadata("general.architecture", "llama");
        w.SetMetadata("test.key_one", 7u);
        w.SetMetadata("test.key_two", "hello");
        var aa = new byte[AaValues.Length * 4];
        for (int i = 0; i < AaValues.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(aa.AsSpan(i * 4), AaValues[i]);
        w.AddTensor("tensor_aa", GgmlType.F32, [4, 2], aa);
        var ab = new byte[68];
        for (int i = 0; i < ab.Length; i++) ab[i] = (byte)(i * 3 + 1);
        w.AddTensor("tensor_ab", GgmlType.Q8_0, [32, 2], ab);
        return WriteToBytes(w);
    }

    public static byte[] WriteToBytes(GgufWriter w)
    {
        using var dir = Groundwork.Testing.TestPaths.CreateTempDir("gguf");
        var path = dir.File("x.gguf");
        w.WriteAsync(path, CancellationToken.None).GetAwaiter().GetResult();
        return File.ReadAllBytes(path);
    }

    /// <summary>Index of the first occurrence of an ASCII marker in the file.</summary>
    public static int IndexOf(byte[] file, string ascii)
    {
        int i = file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii));
        if (i < 0) throw new InvalidOperationException($"marker '{ascii}' not in file");
        return i;
    }

    /// <summary>Offset of a tensor info's n_dims field (just after its name).</summary>
    public static int TensorInfoAfterName(byte[] file, string name) => IndexOf(file, name) + name.Length;

    public static void PatchU32(byte[] file, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), v);

    public static void PatchU64(byte[] file, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(at), v);
}
