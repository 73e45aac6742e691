// llama.cpp (libllama from the node-llama-cpp 3.22.1 npm package) as a logits reference and a speed peer.
// Usage:
//   llamacpp_ref logits BACKEND_DIR MODEL.gguf TOKENS OUT.f32 [LORA.gguf]
//     TOKENS: comma-separated ids, fed as they are (no BOS added). One llama_decode of all tokens, 1 thread,
//     logits for every position, F32 KV cache, flash attention off. OUT.f32: float32 LE [position][vocab].
//     LORA.gguf: a LoRA adapter applied unmerged at adapter scale 1 (llama.cpp then scales B·A by alpha / rank).
//   llamacpp_ref bench BACKEND_DIR MODEL.gguf THREADS PROMPT_TOKENS GEN_TOKENS
//     Prompt processing: PROMPT_TOKENS ids in one llama_decode (n_batch = n_ubatch = 512, as llama-bench), then
//     GEN_TOKENS single-token decodes (greedy argmax of the last logits). Defaults otherwise (F16 KV cache, flash
//     attention auto). Prints one line: "pp_tps=.. tg_tps=.. load_s=.. vmhwm_kib=..".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml-backend.h"
#include "llama.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void quiet_log(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static long vmhwm_kib(void) {
    FILE * f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f)) if (strncmp(line, "VmHWM:", 6) == 0) v = atol(line + 6);
    if (f) fclose(f);
    return v;
}

static bool no_progress(float progress, void * user) { (void) progress; (void) user; return true; }

static struct llama_model * load(const char * backend_dir, const char * path) {
    llama_log_set(quiet_log, NULL);
    ggml_backend_load_all_from_path(backend_dir);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.progress_callback = no_progress;
    struct llama_model * model = llama_model_load_from_file(path, mp);
    if (!model) { fprintf(stderr, "%s: llama.cpp cannot load the model\n", path); exit(1); }
    return model;
}

static int argmax(const float * x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

static int cmd_logits(int argc, char ** argv) {
    if (argc != 6 && argc != 7) { fprintf(stderr, "usage: %s logits BACKEND_DIR MODEL TOKENS OUT.f32 [LORA.gguf]\n", argv[0]); return 2; }
    int tokens[4096], n = 0;
    for (char * p = strtok(argv[4], ","); p && n < 4096; p = strtok(NULL, ",")) tokens[n++] = atoi(p);
    struct llama_model * model = load(argv[2], argv[3]);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = cp.n_ubatch = 256;
    cp.n_threads = cp.n_threads_batch = 1;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    cp.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }
    if (argc == 7) {
        struct llama_adapter_lora * lora = llama_adapter_lora_init(model, argv[6]);
        if (!lora) { fprintf(stderr, "%s: llama.cpp cannot load the LoRA adapter\n", argv[6]); return 1; }
        char alpha[64] = "";
        llama_adapter_meta_val_str(lora, "adapter.lora.alpha", alpha, sizeof alpha);
        float scale = 1.0f;
        if (llama_set_adapters_lora(ctx, &lora, 1, &scale) != 0) { fprintf(stderr, "%s: cannot set the adapter\n", argv[6]); return 1; }
        fprintf(stderr, "%s: adapter loaded (adapter.lora.alpha %s)\n", argv[6], alpha);
    }
    int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        b.token[i] = tokens[i]; b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = 1;
    }
    b.n_tokens = n;
    if (llama_decode(ctx, b) != 0) { fprintf(stderr, "llama_decode failed\n"); return 1; }
    FILE * o = fopen(argv[5], "wb");
    if (!o) { fprintf(stderr, "%s: cannot write\n", argv[5]); return 1; }
    for (int i = 0; i < n; i++) fwrite(llama_get_logits_ith(ctx, i), sizeof(float), vocab, o);
    fclose(o);
    printf("%s: %d positions x %d logits, top-1 of last position %d\n", argv[5], n, vocab,
           argmax(llama_get_logits_ith(ctx, n - 1), vocab));
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

static int cmd_bench(int argc, char ** argv) {
    if (argc != 7) { fprintf(stderr, "usage: %s bench BACKEND_DIR MODEL THREADS PROMPT GEN\n", argv[0]); return 2; }
    int threads = atoi(argv[4]), n_prompt = atoi(argv[5]), n_gen = atoi(argv[6]);
    double t0 = now_s();
    struct llama_model * model = load(argv[2], argv[3]);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_prompt + n_gen + 16;
    cp.n_batch = cp.n_ubatch = 512;
    cp.n_threads = cp.n_threads_batch = threads;
    cp.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }
    double load_s = now_s() - t0;
    int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    struct llama_batch b = llama_batch_init(n_prompt > 512 ? n_prompt : 512, 0, 1);
    // the same pseudo-random prompt as the managed benchmark: token i = (i * 7919 + 13) % vocab
    double tp = 0;
    for (int start = 0; start < n_prompt; start += 512) {
        int n = n_prompt - start < 512 ? n_prompt - start : 512;
        for (int i = 0; i < n; i++) {
            int p = start + i;
            b.token[i] = (int) (((long) p * 7919 + 13) % vocab); b.pos[i] = p; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0;
            b.logits[i] = start + i == n_prompt - 1;
        }
        b.n_tokens = n;
        double s = now_s();
        if (llama_decode(ctx, b) != 0) { fprintf(stderr, "llama_decode failed\n"); return 1; }
        tp += now_s() - s;
    }
    int tok = argmax(llama_get_logits_ith(ctx, -1), vocab);
    double s = now_s();
    for (int g = 0; g < n_gen; g++) {
        b.token[0] = tok; b.pos[0] = n_prompt + g; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1;
        b.n_tokens = 1;
        if (llama_decode(ctx, b) != 0) { fprintf(stderr, "llama_decode failed\n"); return 1; }
        tok = argmax(llama_get_logits_ith(ctx, 0), vocab);
    }
    double tg = now_s() - s;
    printf("pp_tps=%.2f tg_tps=%.2f load_s=%.2f vmhwm_kib=%ld\n", n_prompt / tp, n_gen / tg, load_s, vmhwm_kib());
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

int main(int argc, char ** argv) {
    if (argc > 1 && strcmp(argv[1], "logits") == 0) return cmd_logits(argc, argv);
    if (argc > 1 && strcmp(argv[1], "bench") == 0) return cmd_bench(argc, argv);
    fprintf(stderr, "usage: %s logits|bench ...\n", argv[0]);
    return 2;
}
