using System.Runtime.InteropServices;
using Groundwork.Numerics.Quantization;

namespace Groundwork.Numerics;

/// <summary>
/// One or more activation vectors prepared for matrix products: the float values plus, computed on first use, their
/// 8-bit block quantizations (Q8_0-style per 32 elements and Q8_K-style per 256 elements). Quantizing once and reusing
/// the result is what makes q/k/v (and gate/up), which share an input, cheaper. Buffers grow on demand and are reused;
/// not thread-safe: one instance per session or thread.
/// </summary>
public sealed unsafe class PreparedActivations
{
    private float[] _values = [];
    private sbyte[] _q32 = [];      // [count][cols] quants with one scale per 32
    private float[] _d32 = [];      // [count][cols/32] scales
    private float[] _s32 = [];      // [count][cols/32] scale × sum of quants
    private sbyte[] _q256 = [];     // [count][cols] quants with one scale per 256
    private float[] _d256 = [];     // [count][cols/256] scales
    private short[] _bsums256 = []; // [count][cols/16] sums of 16 quants (for K-quant mins and offsets)
    private bool _have32, _have256;

    /// <summary>Elements per vector.</summary>
    public int Length { get; private set; }

    /// <summary>Number of vectors.</summary>
    public int Count { get; private set; }

    /// <summary>Loads <paramref name="count"/> row-major vectors of <paramref name="x"/>.Length / count elements each.</summary>
    public void Load(ReadOnlySpan<float> x, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (x.Length % count != 0) throw new ArgumentException($"{x.Length} values do not split into {count} equal vectors", nameof(x));
        var total = x.Length;
        Grow(ref _values, total);
        x.CopyTo(_values);
        Length = total / count;
        Count = count;
        _have32 = _have256 = false;
    }

    /// <summary>The float values of vector <paramref name="j"/>.</summary>
    public ReadOnlySpan<float> Values(int j) => _values.AsSpan(j * Length, Length);

    internal ActivationView View(int j, GgmlType type)
    {
        var cols = Length;
        var view = new ActivationView { Cols = cols };
        fixed (float* f = _values) view.F = f + (long)j * cols;
        switch (RowDot.ActivationKind(type))
        {
            case 32:
                Ensure32();
                fixed (sbyte* q = _q32) view.Q = q + (long)j * cols;
                fixed (float* d = _d32) view.D = d + (long)j * (cols / 32);
                fixed (float* s = _s32) view.S = s + (long)j * (cols / 32);
                break;
            case 256:
                Ensure256();
                fixed (sbyte* q = _q256) view.Q = q + (long)j * cols;
                fixed (float* d = _d256) view.D = d + (long)j * (cols / 256);
                fixed (short* b = _bsums256) view.Bsums = b + (long)j * (cols / 16);
                break;
        }
        return view;
    }

    /// <summary>Quantizes for <paramref name="type"/> now (on the calling thread) so that later views are read-only.</summary>
    internal void Prepare(GgmlType type)
    {
        var kind = RowDot.ActivationKind(type);
        if (kind == 32) Ensure32();
        else if (kind == 256) Ensure256();
    }

    private void Ensure32()
    {
        if (_have32) return;
        if (Length % 32 != 0) throw new ArgumentException($"activation length {Length} is not a multiple of 32");
        var total = Length * Count;
        Grow(ref _q32, total);
        Grow(ref _d32, total / 32);
        Grow(ref _s32, total / 32);
        ActivationQuantizer.Quantize32(_values.AsSpan(0, total), _q32, _d32, _s32);
        _have32 = true;
    }

    private void Ensure256()
    {
        if (_have256) return;
        if (Length % 256 != 0) throw new ArgumentException($"activation length {Length} is not a multiple of 256");
        var total = Length * Count;
        Grow(ref _q256, total);
        Grow(ref _d256, total / 256);
        Grow(ref _bsums256, total / 16);
        ActivationQuantizer.Quantize256(_values.AsSpan(0, total), _q256, _d256, _bsums256);
        _have256 = true;
    }

    // Pinned so that views can hand raw pointers to worker threads.
    private static void Grow<T>(ref T[] a, int n) where T : unmanaged
    {
        if (a.Length < n) a = GC.AllocateUninitializedArray<T>(Math.Max(n, a.Length * 2), pinned: true);
    }
}

/// <summary>Raw pointers into one prepared activation vector.</summary>
internal unsafe struct ActivationView
{
    public float* F;      // [Cols] float values
    public sbyte* Q;      // [Cols] quants
    public float* D;      // [Cols/32] or [Cols/256] scales
    public float* S;      // [Cols/32] scale × quant sum (32-blocks only)
    public short* Bsums;  // [Cols/16] quant sums (256-blocks only)
    public int Cols;
}
