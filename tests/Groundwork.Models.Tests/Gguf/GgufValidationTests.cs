using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Testing;
using static Groundwork.Models.Tests.Gguf.GgufTestFiles;

namespace Groundwork.Models.Tests.Gguf;

public sealed class GgufValidationTests
{
    private static string OpenError(byte[] bytes, string name = "bad.gguf")
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
        Assert.StartsWith(name + ": ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }

    [Fact]
    public void The_canonical_file_is_valid()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("ok.gguf");
        File.WriteAllBytes(path, Canonical());
        using var f = GgufFile.Open(path);
        Assert.Equal(AaValues, f.GetF32("tensor_aa").ToArray());
        Assert.Equal(7, f.GetInteger("test.key_one"));
    }

    [Fact]
    public void Bad_magic_empty_and_missing_files()
    {
        var b = Canonical();
        b[0] = (byte)'X';
        Assert.Equal("bad.gguf: not a GGUF file (bad magic; expected \"GGUF\")", OpenError(b));
        Assert.Equal("bad.gguf: not a GGUF file (the file is empty)", OpenError([]));
        Assert.Contains("not a GGUF file", OpenError("GG"u8.ToArray()), StringComparison.Ordinal);
        var ex = Assert.Throws<GgufException>(() => GgufFile.Open("/nonexistent/dir/m.gguf"));
        Assert.StartsWith("m.gguf: file not found", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1u, "bad.gguf: GGUF version 1 is not supported (only versions 2 and 3)")]
    [InlineData(7u, "bad.gguf: unsupported GGUF version 7 (only versions 2 and 3)")]
    [InlineData(0x03000000u, "bad.gguf: big-endian GGUF files are not supported (only little-endian)")]
    public void Unsupported_versions_and_big_endian_are_rejected(uint version, string message)
    {
        var b = Canonical();
        PatchU32(b, 4, version);
        Assert.Equal(message, OpenError(b));
    }

    [Fact]
    public void Version_2_files_are_read()
    {
        var b = Canonical(); // v2 and v3 share the layout
        PatchU32(b, 4, 2);
        using var dir = TestPaths.CreateTempDir("gguf");
        File.WriteAllBytes(dir.File("v2.gguf"), b);
        using var f = GgufFile.Open(dir.File("v2.gguf"));
        Assert.Equal(2u, f.Version);
        Assert.Equal(2, f.Tensors.Count);
    }

    [Fact]
    public void Truncation_anywhere_in_header_metadata_or_tensor_infos_is_reported()
    {
        var b = Canonical();
        Assert.Contains("truncated file: the header needs 8 bytes at offset 16", OpenError(b[..20]), StringComparison.Ordinal);
        int inMeta = IndexOf(b, "test.key_two") + 12 + 4 + 8 + 2; // inside the "hello" string value
        Assert.Contains("string length 5", OpenError(b[..inMeta]), StringComparison.Ordinal);
        int inMetaScalar = IndexOf(b, "test.key_one") + "test.key_one".Length + 6; // inside the uint32 value
        Assert.Contains("truncated file: metadata key 'test.key_one' needs 4 bytes", OpenError(b[..inMetaScalar]), StringComparison.Ordinal);
        int inInfo = TensorInfoAfterName(b, "tensor_ab") + 6; // inside the first dimension
        Assert.Contains("truncated file: tensor 'tensor_ab' needs 8 bytes", OpenError(b[..inInfo]), StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_counts_and_string_lengths_are_rejected_before_allocating()
    {
        var b = Canonical();
        PatchU64(b, 16, 1UL << 50); // metadata count
        Assert.Contains("metadata count 1125899906842624 is impossible", OpenError(b), StringComparison.Ordinal);
        b = Canonical();
        PatchU64(b, 8, ulong.MaxValue); // tensor count
        Assert.Contains("tensor count 18446744073709551615 is impossible", OpenError(b), StringComparison.Ordinal);
        b = Canonical();
        PatchU64(b, 24, 1UL << 62); // length of the first key
        Assert.Contains("metadata key #0: string length 4611686018427387904 at offset 24 exceeds", OpenError(b), StringComparison.Ordinal);

        var w = new GgufWriter();
        w.SetMetadata("arr", new[] { 1, 2, 3 });
        b = WriteToBytes(w);
        PatchU64(b, IndexOf(b, "arr") + 3 + 4 + 4, 1UL << 40); // the array count
        Assert.Contains("metadata key 'arr' array count 1099511627776 is impossible", OpenError(b), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_value_types_and_duplicate_keys_are_rejected()
    {
        var b = Canonical();
        PatchU32(b, IndexOf(b, "test.key_one") + "test.key_one".Length, 13);
        Assert.Equal("bad.gguf: metadata key 'test.key_one' has unknown value type 13", OpenError(b));
        b = Canonical();
        b[IndexOf(b, "test.key_two") + "test.key_".Length] = (byte)'o';
        b[IndexOf(b, "test.key_owo") + "test.key_o".Length] = (byte)'n';
        b[IndexOf(b, "test.key_ono") + "test.key_on".Length] = (byte)'e';
        Assert.Equal("bad.gguf: duplicate metadata key 'test.key_one'", OpenError(b));
    }

    [Fact]
    public void Alignment_must_be_a_power_of_two()
    {
        var b = Canonical(alignment: 64);
        int at = IndexOf(b, "general.alignment") + "general.alignment".Length + 4;
        PatchU32(b, at, 48);
        Assert.Equal("bad.gguf: general.alignment 48 is not a power of two between 1 and 2^30", OpenError(b));
        PatchU32(b, at, 0);
        Assert.Contains("general.alignment 0 is not a power of two", OpenError(b), StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_offsets_must_be_aligned_and_data_must_fit_in_the_file()
    {
        var b = Canonical();
        int offsetAt = TensorInfoAfterName(b, "tensor_ab") + 4 + 2 * 8 + 4;
        PatchU64(b, offsetAt, 36);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' offset 36 is not a multiple of the alignment 32", OpenError(b));
        PatchU64(b, offsetAt, 1UL << 60);
        Assert.Contains("tensor 'tensor_ab' offset 1152921504606846976 lies past the end of the file", OpenError(b), StringComparison.Ordinal);

        b = Canonical();
        Assert.Contains("tensor 'tensor_ab' data (68 bytes at offset 32 of the data section at", OpenError(b[..^40]), StringComparison.Ordinal);
        Assert.Contains("extends past the end of the file", OpenError(b[..^40]), StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_type_dimensions_and_names_are_validated()
    {
        var b = Canonical();
        int ab = TensorInfoAfterName(b, "tensor_ab");
        PatchU32(b, ab + 4 + 16, 37);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has unsupported type 37", OpenError(b));
        PatchU32(b, ab + 4 + 16, (uint)GgmlType.IQ2_XXS);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has unsupported type 16 (IQ2_XXS)", OpenError(b));

        b = Canonical();
        PatchU32(b, ab, 5);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has 5 dimensions (1 to 4 supported)", OpenError(b));
        PatchU32(b, ab, 0);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has 0 dimensions (1 to 4 supported)", OpenError(b));

        b = Canonical();
        PatchU64(b, ab + 4 + 8, 0);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has non-positive dimension 1 (0)", OpenError(b));
        PatchU64(b, ab + 4 + 8, ulong.MaxValue);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' has non-positive dimension 1 (-1)", OpenError(b));

        b = Canonical();
        PatchU64(b, ab + 4, 16);
        Assert.Equal("bad.gguf: tensor 'tensor_ab' row length 16 is not a multiple of Q8_0's block size 32", OpenError(b));

        b = Canonical();
        b[IndexOf(b, "tensor_ab") + 8] = (byte)'a';
        Assert.Equal("bad.gguf: duplicate tensor name 'tensor_aa'", OpenError(b));
    }
}
