namespace Groundwork.Retrieval.Vectors;

/// <summary>A binary min-heap of (key, node) pairs; a max-heap is this heap over negated keys.</summary>
internal sealed class MinHeap
{
    private float[] _keys = new float[256];
    private int[] _nodes = new int[256];

    public int Count { get; private set; }

    public float PeekKey => _keys[0];

    public int PeekNode => _nodes[0];

    public void Clear() => Count = 0;

    public float KeyAt(int i) => _keys[i];

    public int NodeAt(int i) => _nodes[i];

    public void Push(float key, int node)
    {
        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, Count * 2);
            Array.Resize(ref _nodes, Count * 2);
        }
        int i = Count++;
        var keys = _keys;
        var nodes = _nodes;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            nodes[i] = nodes[parent];
            i = parent;
        }
        keys[i] = key;
        nodes[i] = node;
    }

    public int Pop()
    {
        var keys = _keys;
        var nodes = _nodes;
        int top = nodes[0];
        int n = --Count;
        if (n == 0) return top;
        float key = keys[n];
        int node = nodes[n];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && keys[child + 1] < keys[child]) child++;
            if (keys[child] >= key) break;
            keys[i] = keys[child];
            nodes[i] = nodes[child];
            i = child;
        }
        keys[i] = key;
        nodes[i] = node;
        return top;
    }
}

/// <summary>Per-search scratch (rented from a pool, one per concurrent search or insert): nothing is allocated in the
/// search loop. The visited set is a generation-stamped int array, so it is reset by bumping the stamp.</summary>
internal sealed unsafe class SearchScratch
{
    public int[] Visited = [];
    public int Stamp;
    public readonly MinHeap Candidates = new();
    public readonly MinHeap Results = new();
    public float[] Query;
    public sbyte[] QueryCode;
    public float QueryScale;
    public readonly float* QueryPtr;
    public readonly sbyte* QueryCodePtr;
    public long Evaluations; // distance evaluations by searches since the last reset (benchmark counter)
    public int[] Links;
    public float[] SortKeys = new float[256];
    public int[] SortNodes = new int[256];
    public int[] Selected;
    public int[] Early; // back-links a node received before it set its own links (see HnswGraph.SetLinks)

    public SearchScratch(int dimension, int maxLinks)
    {
        // Pinned so that the distance loop can hold raw pointers to the prepared query.
        Query = GC.AllocateArray<float>(dimension, pinned: true);
        QueryCode = GC.AllocateArray<sbyte>(dimension, pinned: true);
        QueryPtr = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Query[0]);
        QueryCodePtr = (sbyte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref QueryCode[0]);
        Links = new int[maxLinks + 1];
        Selected = new int[maxLinks + 1];
        Early = new int[maxLinks + 1];
    }

    /// <summary>Starts a new visit over <paramref name="nodes"/> nodes.</summary>
    public void NewVisit(int nodes)
    {
        if (Visited.Length < nodes)
        {
            Visited = new int[Math.Max(nodes, Visited.Length * 3 / 2)];
            Stamp = 0;
        }
        if (++Stamp == int.MaxValue)
        {
            Array.Clear(Visited);
            Stamp = 1;
        }
    }
}
