using System.Diagnostics;
using System.Numerics.Tensors;
using Groundwork.Models.Gguf;
using Groundwork.Models.Transformers;
using Groundwork.Numerics;
using Groundwork.Numerics.Quantization;

// bench MODEL THREADS PROMPT GEN : the protocol of llamacpp_ref bench (tools/llamacpp-reference): prompt token i =
//   (i*7919+13) % vocab in one Prefill, then GEN greedy Forward calls. Prints "pp_tps=.. tg_tps=.. load_s=.. vmhwm_kib=..".
// profile MODEL THREADS PROMPT : thread-CPU-time breakdown (use THREADS=1) of one layer's matrix products (MatVec for generation,
//   MatMulBatch over PROMPT rows for prompt processing) scaled to the whole model, against a measured Forward/Prefill.
if (args.Length == 5 && args[0] == "bench") return Bench(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]));
if (args.Length == 4 && args[0] == "profile") return Profile(args[1], int.Parse(args[2]), int.Parse(args[3]));
Console.Error.WriteLine("usage: runtime-bench bench MODEL THREADS PROMPT GEN | profile MODEL THREADS PROMPT");
return 2;

static int[] Prompt(int n, int vocab) => Enumerable.Range(0, n).Select(i => (int)(((long)i * 7919 + 13) % vocab)).ToArray();

// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): on a shared machine wall time measures the other tenants;
// with 1 thread the kernels run on this thread, so its CPU time is the work itself.
static unsafe double ThreadCpuMs()
{
    long* ts = stackalloc long[2];
    if (Native.clock_gettime(3, ts) != 0) throw new InvalidOperationException("clock_gettime failed");
    return ts[0] * 1e3 + ts[1] / 1e6;
}

static long VmHwmKib()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line[6..].Trim().Split(' ')[0]);
    return -1;
}

static int Bench(string path, int threads, int nPrompt, int nGen)
{
    MatMul.Threads = threads;
    var sw = Stopwatch.StartNew();
    using var model = LlamaModel.Load(path, new ModelLoadOptions { ContextLength = nPrompt + nGen + 16 });
    var session = model.CreateSession();
    double loadS = sw.Elapsed.TotalSeconds;
    int vocab = model.Config.VocabSize;
    var prompt = Prompt(nPrompt, vocab);
    sw.Restart();
    var logits = session.Prefill(prompt);
    double tp = sw.Elapsed.TotalSeconds;
    int tok = TensorPrimitives.IndexOfMax(logits);
    sw.Restart();
    for (int g = 0; g < nGen; g++) tok = TensorPrimitives.IndexOfMax(session.Forward(tok));
    double tg = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"pp_tps={nPrompt / tp:F2} tg_tps={nGen / tg:F2} load_s={loadS:F2} vmhwm_kib={VmHwmKib()}");
    return 0;
}

static unsafe int Profile(string path, int threads, int nPrompt)
{
    MatMul.Threads = threads;
    using var file = GgufFile.Open(path);
    int layers = (int)file.GetInteger(file.Architecture + ".block_count");
    var names = new[] { "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down" }
        .Select(n => $"blk.0.{n}.weight").Append(file.TryGetTensor("output.weight", out _) ? "output.weight" : "token_embd.weight");
    double genTotal = 0, ppTotal = 0;
    Console.WriteLine($"{Path.GetFileName(path)}, {threads} thread(s): per-token ms (generation, MatVec) and per-prompt ms ({nPrompt} rows, MatMulBatch), whole model");
    foreach (var name in names)
    {
        var t = file.GetTensor(name);
        var w = new QuantizedMatrix(t.Type, file.GetTensorPointer(t), (int)t.Dimensions[1], (int)t.Dimensions[0]);
        var x = new float[(long)w.Cols * nPrompt];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i * 0.37f);
        var y = new float[(long)w.Rows * nPrompt];
        int reps = Math.Max(3, (int)(2e8 / ((double)w.Rows * w.Cols)));
        MatMul.MatVec(in w, x.AsSpan(0, w.Cols), y.AsSpan(0, w.Rows));
        double vecMs, batchMs;
        double t0 = ThreadCpuMs();
        for (int r = 0; r < reps; r++) MatMul.MatVec(in w, x.AsSpan(0, w.Cols), y.AsSpan(0, w.Rows));
        vecMs = (ThreadCpuMs() - t0) / reps;
        t0 = ThreadCpuMs();
        MatMul.MatMulBatch(in w, x, y, nPrompt);
        batchMs = ThreadCpuMs() - t0;
        int count = name.StartsWith("blk.", StringComparison.Ordinal) ? layers : 1;
        double gb = w.RowBytes * (double)w.Rows / 1e9;
        Console.WriteLine($"  {name,-24} {t.Type,-5} [{w.Rows}x{w.Cols}] x{count}: gen {vecMs * count,8:F2} ms ({gb / (vecMs / 1e3):F1} GB/s)  prompt {batchMs * count,9:F1} ms ({2.0 * w.Rows * w.Cols * nPrompt / (batchMs / 1e3) / 1e9:F1} GFLOP/s)");
        genTotal += vecMs * count;
        ppTotal += batchMs * count;
    }
    using var model = LlamaModel.Load(path, new ModelLoadOptions { ContextLength = nPrompt + 64 });
    var prompt = Prompt(nPrompt, model.Config.VocabSize);
    var session = model.CreateSession();
    session.Forward(prompt[0]); // JIT warm-up
    session.Reset();
    double c0 = ThreadCpuMs();
    session.Prefill(prompt);
    double ppMeasured = ThreadCpuMs() - c0;
    c0 = ThreadCpuMs();
    for (int g = 0; g < 16; g++) session.Forward(prompt[g]);
    double genMeasured = (ThreadCpuMs() - c0) / 16;
    Console.WriteLine($"  matrix products: gen {genTotal:F1} ms/token of {genMeasured:F1} measured ({100 * genTotal / genMeasured:F0}%), prompt {ppTotal:F0} ms of {ppMeasured:F0} measured ({100 * ppTotal / ppMeasured:F0}%)");
    Console.WriteLine("  the rest is attention (scores, softmax, weighted V over the context), RMSNorm, RoPE, SwiGLU, residual adds, argmax");
    return 0;
}

internal static unsafe partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    internal static partial int clock_gettime(int clock, long* ts);
}
