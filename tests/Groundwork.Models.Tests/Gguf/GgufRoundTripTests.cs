using System.Buffers.Binary;
using Groundwork.Models.Gguf;
using Groundwork.Numerics.Quantization;
using Groundwork.Testing;

namespace Groundwork.Models.Tests.Gguf;

public sealed class GgufRoundTripTests
{
    [Fact]
    public async Task Every_metadata_type_round_trips_including_arrays_and_nested_arrays()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("meta.gguf");
        var w = new GgufWriter();
        var expected = new Dictionary<string, GgufValue>
        {
            ["s.u8"] = GgufValue.FromUInt8(250),
            ["s.i8"] = GgufValue.FromInt8(-100),
            ["s.u16"] = GgufValue.FromUInt16(65000),
            ["s.i16"] = GgufValue.FromInt16(-32000),
            ["s.u32"] = GgufValue.FromUInt32(4_000_000_000),
            ["s.i32"] = GgufValue.FromInt32(-2_000_000_000),
            ["s.f32"] = GgufValue.FromFloat32(3.25f),
            ["s.bool_t"] = GgufValue.FromBool(true),
            ["s.bool_f"] = GgufValue.FromBool(false),
            ["s.str"] = GgufValue.FromString("héllo ▁ 🦙 \n"),
            ["s.str_empty"] = GgufValue.FromString(""),
            ["s.u64"] = GgufValue.FromUInt64(ulong.MaxValue),
            ["s.i64"] = GgufValue.FromInt64(long.MinValue),
            ["s.f64"] = GgufValue.FromFloat64(Math.PI),
            ["a.u8"] = GgufValue.FromArray(new byte[] { 0, 1, 255 }),
            ["a.i8"] = GgufValue.FromArray(new sbyte[] { -128, 0, 127 }),
            ["a.u16"] = GgufValue.FromArray(new ushort[] { 0, 65535 }),
            ["a.i16"] = GgufValue.FromArray(new short[] { -1, 2 }),
            ["a.u32"] = GgufValue.FromArray(new uint[] { 1, uint.MaxValue }),
            ["a.i32"] = GgufValue.FromArray(new[] { -5, 6, 7 }),
            ["a.f32"] = GgufValue.FromArray(new[] { 0.5f, -1e30f, float.NaN }),
            ["a.bool"] = GgufValue.FromArray(new[] { true, false, true }),
            ["a.str"] = GgufValue.FromArray(new[] { "a", "", "▁b", "<0x0A>" }),
            ["a.u64"] = GgufValue.FromArray(new ulong[] { ulong.MaxValue, 0 }),
            ["a.i64"] = GgufValue.FromArray(new long[] { long.MinValue, 9 }),
            ["a.f64"] = GgufValue.FromArray(new[] { 1.0 / 3, -0.0 }),
            ["a.empty"] = GgufValue.FromArray(Array.Empty<int>()),
            ["a.nested"] = GgufValue.FromArray(new[]
            {
                GgufValue.FromArray(new[] { 1, 2 }),
                GgufValue.FromArray(new[] { "x", "y", "z" }),
                GgufValue.FromArray(new[] { GgufValue.FromArray(new[] { 1.5 }) }),
            }),
        };
        foreach (var (k, v) in expected) w.SetMetadata(k, v);
        await w.WriteAsync(path, CancellationToken.None);

        using var f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal(expected.Keys, f.Metadata.Keys); // file order = insertion order
        foreach (var (k, v) in expected) AssertSame(v, f.Metadata[k]);
        Assert.Empty(f.Tensors);
    }

    private static void AssertSame(GgufValue expected, GgufValue actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        if (!expected.IsArray)
        {
            Assert.Equal(expected.Value, actual.Value);
            return;
        }
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Value.GetType(), actual.Value.GetType());
        if (expected.Value is GgufValue[] nested)
        {
            var got = (GgufValue[])actual.Value;
            Assert.Equal(nested.Length, got.Length);
            for (int i = 0; i < nested.Length; i++) AssertSame(nested[i], got[i]);
        }
        else
        {
            Assert.Equal(((Array)expected.Value).Cast<object>(), ((Array)actual.Value).Cast<object>());
        }
    }

    [Fact]
    public async Task Metadata_helpers_accept_any_integer_width_and_name_key_and_file_on_error()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("model.gguf");
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", "qwen2");
        w.SetMetadata("k.u8", GgufValue.FromUInt8(9));
        w.SetMetadata("k.u64", GgufValue.FromUInt64(1UL << 40));
        w.SetMetadata("k.f64", 0.25);
        w.SetMetadata("k.bool", true);
        w.SetMetadata("k.strs", new[] { "a", "b" });
        w.SetMetadata("k.u32s", GgufValue.FromArray(new uint[] { 1, 2, 3 }));
        w.SetMetadata("k.floats", new[] { 1f, 2f });
        await w.WriteAsync(path, CancellationToken.None);

        using var f = GgufFile.Open(path);
        Assert.Equal("qwen2", f.Architecture);
        Assert.Equal(9, f.GetInteger("k.u8"));
        Assert.Equal(1L << 40, f.GetInteger("k.u64"));
        Assert.Null(f.TryGetInteger("k.missing"));
        Assert.Equal(0.25f, f.GetFloat("k.f64"));
        Assert.True(f.TryGetBool("k.bool"));
        Assert.Null(f.TryGetBool("k.missing"));
        Assert.Equal(["a", "b"], f.GetStringArray("k.strs"));
        Assert.Equal([1, 2, 3], f.GetInt32Array("k.u32s"));
        Assert.Equal([1f, 2f], f.GetFloatArray("k.floats"));

        Assert.Equal("model.gguf: metadata key 'k.missing' not found", Assert.Throws<GgufException>(() => f.GetString("k.missing")).Message);
        Assert.Equal("model.gguf: metadata key 'k.u8' is UInt8, expected String", Assert.Throws<GgufException>(() => f.GetString("k.u8")).Message);
        Assert.Equal("model.gguf: metadata key 'k.strs' is Array[String], expected an integer", Assert.Throws<GgufException>(() => f.GetInteger("k.strs")).Message);
        Assert.Equal("model.gguf: metadata key 'k.u8' is UInt8, expected Array[String]", Assert.Throws<GgufException>(() => f.GetStringArray("k.u8")).Message);
        Assert.Equal("model.gguf: tensor 'blk.0.attn_q.weight' not found", Assert.Throws<GgufException>(() => f.GetTensor("blk.0.attn_q.weight")).Message);
        Assert.False(f.TryGetTensor("blk.0.attn_q.weight", out _));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public async Task Tensors_are_padded_to_the_alignment_and_read_back_without_copying(int alignment)
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("t.gguf");
        var w = new GgufWriter { Alignment = alignment };
        w.SetMetadata("general.architecture", "llama");
        var norm = new float[] { 1, 2, 3, 4, 5 }; // 20 bytes: forces padding
        var normBytes = new byte[20];
        for (int i = 0; i < 5; i++) BinaryPrimitives.WriteSingleLittleEndian(normBytes.AsSpan(i * 4), norm[i]);
        w.AddTensor("norm.weight", GgmlType.F32, [5], normBytes);
        var q = Enumerable.Range(0, 34 * 3).Select(i => (byte)i).ToArray();
        w.AddTensor("q.weight", GgmlType.Q8_0, [32, 3], q);
        var h = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (byte)(200 - i)).ToArray();
        w.AddTensor("h.weight", GgmlType.F16, [3, 1, 2, 2], h);
        await w.WriteAsync(path, CancellationToken.None);

        using var f = GgufFile.Open(path);
        Assert.Equal(alignment, f.Alignment);
        Assert.Equal(alignment == 32 ? null : alignment, f.TryGetInteger("general.alignment"));
        Assert.Equal(0, f.DataOffset % alignment);
        Assert.Equal(["norm.weight", "q.weight", "h.weight"], f.Tensors.Select(t => t.Name));
        foreach (var t in f.Tensors) Assert.Equal(0, t.Offset % alignment);
        Assert.Equal(norm, f.GetF32("norm.weight").ToArray());

        var qt = f.GetTensor("q.weight");
        Assert.Equal(GgmlType.Q8_0, qt.Type);
        Assert.Equal([32L, 3L], qt.Dimensions);
        Assert.Equal((3, 32, 96L, 102L), (qt.Rows, qt.Columns, qt.ElementCount, qt.ByteSize));
        Assert.Equal(q, f.GetTensorBytes(qt).ToArray());
        var ht = f.GetTensor("h.weight");
        Assert.Equal((4, 3), (ht.Rows, ht.Columns));
        Assert.Equal(h, f.GetTensorBytes(ht).ToArray());
        unsafe
        {
            byte* p = f.GetTensorPointer(qt);
            Assert.Equal(q[101], p[101]);
            Assert.Equal(0, (nint)p % alignment); // the mapping is page-aligned, so file alignment carries over
        }
        Assert.Equal("t.gguf: tensor 'q.weight' is Q8_0, expected F32", Assert.Throws<GgufException>(() => f.GetF32("q.weight").Length).Message);
    }

    [Fact]
    public async Task Writer_rejects_invalid_tensors_and_writes_atomically()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.Q4_0, [33], new byte[18]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.F32, [4], new byte[15]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.F32, [0], ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", (GgmlType)37, [4], new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Alignment = 48);
        w.AddTensor("x", GgmlType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.F32, [1], new byte[4]));

        // A callback that writes the wrong size fails the write and leaves neither the target nor a temp file.
        using var dir = TestPaths.CreateTempDir("gguf");
        w.AddTensor("y", GgmlType.F32, [4], (s, ct) => s.WriteAsync(new byte[12], ct).AsTask());
        var target = dir.File("bad.gguf");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => w.WriteAsync(target, CancellationToken.None));
        Assert.Contains("tensor 'y'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_cancelled_write_leaves_no_file()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", "llama");
        using var cts = new CancellationTokenSource();
        w.AddTensor("t", GgmlType.F32, [4], async (s, ct) =>
        {
            await s.WriteAsync(new byte[8], ct);
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            await s.WriteAsync(new byte[8], ct);
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => w.WriteAsync(dir.File("c.gguf"), cts.Token));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task Writing_over_an_existing_file_replaces_it()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("m.gguf");
        await File.WriteAllTextAsync(path, "old contents");
        var w = new GgufWriter();
        w.SetMetadata("general.name", "new");
        await w.WriteAsync(path, CancellationToken.None);
        using var f = GgufFile.Open(path);
        Assert.Equal("new", f.GetString("general.name"));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_tensor_larger_than_2_GiB_is_reachable_through_the_pointer()
    {
        using var dir = TestPaths.CreateTempDir("gguf");
        var path = dir.File("big.gguf");
        const long cols = 1 << 20, rows = 2253; // I8: 2,362,441,728 bytes, about 2.2 GiB
        const long size = cols * rows;
        var w = new GgufWriter();
        w.SetMetadata("general.architecture", "llama");
        w.AddTensor("small", GgmlType.F32, [2], new byte[8]);
        var marker = "GW-TAIL!"u8.ToArray();
        w.AddTensor("huge", GgmlType.I8, [cols, rows], async (s, ct) =>
        {
            s.Seek(size - marker.Length, SeekOrigin.Current); // leaves a hole: the file stays sparse on disk
            await s.WriteAsync(marker, ct);
        });
        await w.WriteAsync(path, CancellationToken.None);

        using var f = GgufFile.Open(path);
        var t = f.GetTensor("huge");
        Assert.Equal(size, t.ByteSize);
        Assert.Equal((int)rows, t.Rows);
        Assert.True(f.DataOffset + t.Offset + size <= f.Length);
        unsafe
        {
            byte* p = f.GetTensorPointer(t);
            Assert.Equal(marker, new ReadOnlySpan<byte>(p + size - marker.Length, marker.Length).ToArray());
            Assert.Equal(0, p[size / 2]);
        }
        var ex = Assert.Throws<GgufException>(() => f.GetTensorBytes(t).Length);
        Assert.StartsWith("big.gguf: tensor 'huge' is 2362441728 bytes", ex.Message, StringComparison.Ordinal);
    }
}
