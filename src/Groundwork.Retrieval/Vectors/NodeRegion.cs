using System.Runtime.InteropServices;

namespace Groundwork.Retrieval.Vectors;

/// <summary>Fixed-stride per-node records: a read-mostly base (a copy-on-write file mapping after open) followed by a
/// growable native delta for nodes added since. Node i lives in the base when i &lt; BaseCount.</summary>
internal sealed unsafe class NodeRegion : IDisposable
{
    private readonly byte* _base;
    private byte* _delta;
    private long _deltaCapacity;

    public NodeRegion(long stride, byte* mappedBase = null, int baseCount = 0)
    {
        Stride = stride;
        _base = mappedBase;
        BaseCount = mappedBase == null ? 0 : baseCount;
    }

    public long Stride { get; }

    public int BaseCount { get; }

    public byte* this[int node]
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => node < BaseCount ? _base + node * Stride : _delta + (node - BaseCount) * Stride;
    }

    /// <summary>Makes room for <paramref name="total"/> nodes; call only under the index's write lock.</summary>
    public void EnsureCapacity(int total)
    {
        long needed = total - BaseCount;
        if (needed <= _deltaCapacity) return;
        long capacity = Math.Max(needed, Math.Max(1024, _deltaCapacity * 2));
        var fresh = (byte*)NativeMemory.AlignedAlloc((nuint)(capacity * Stride), 64);
        if (_delta != null)
        {
            Buffer.MemoryCopy(_delta, fresh, capacity * Stride, _deltaCapacity * Stride);
            NativeMemory.AlignedFree(_delta);
        }
        _delta = fresh;
        _deltaCapacity = capacity;
    }

    /// <summary>Copies nodes [0, count) out as one or two contiguous blocks (base, then delta).</summary>
    public (nint Pointer, long Length)[] Blocks(int count)
    {
        int fromBase = Math.Min(count, BaseCount);
        var blocks = new List<(nint, long)>(2);
        if (fromBase > 0) blocks.Add(((nint)_base, fromBase * Stride));
        if (count > fromBase) blocks.Add(((nint)_delta, (count - fromBase) * Stride));
        return [.. blocks];
    }

    public void Dispose()
    {
        if (_delta != null) NativeMemory.AlignedFree(_delta);
        _delta = null;
        _deltaCapacity = 0;
    }
}
