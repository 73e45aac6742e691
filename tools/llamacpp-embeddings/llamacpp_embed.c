// Embeds pre-tokenized sequences with llama.cpp (libllama from the node-llama-cpp npm package) and times it.
// Usage: llamacpp_embed BACKEND_DIR MODEL.gguf TOKENS.txt THREADS BATCH REPEATS [OUT.txt] [POOLING]
//   TOKENS.txt: one sequence per line, token ids separated by spaces (special tokens included).
//   BATCH sequences go into one llama_decode; the model's own pooling is used (bert.pooling_type).
//   OUT.txt (optional): one line per sequence, the L2-normalised pooled embedding (%.9g); "-" for none.
//   POOLING (optional): mean | cls | last | rank overrides the model's pooling (e.g. a decoder GGUF used as an embedder).
//   With rank pooling (rerankers) each line holds the n_cls_out raw scores instead of a normalised embedding.
// Prints one line per repeat and a summary "chunks/s" line.
#include <math.h>
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

int main(int argc, char ** argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s BACKEND_DIR MODEL TOKENS THREADS BATCH REPEATS [OUT|-] [mean|cls|last]\n", argv[0]);
        return 2;
    }
    const char * backend_dir = argv[1];
    const char * model_path = argv[2];
    const char * tokens_path = argv[3];
    int threads = atoi(argv[4]), batch = atoi(argv[5]), repeats = atoi(argv[6]);
    const char * out_path = argc > 7 && strcmp(argv[7], "-") != 0 ? argv[7] : NULL;
    const char * pooling = argc > 8 ? argv[8] : NULL;

    // read sequences
    FILE * f = fopen(tokens_path, "r");
    if (!f) { fprintf(stderr, "%s: cannot open\n", tokens_path); return 1; }
    int n_seq = 0, cap = 64, max_len = 0;
    llama_token ** seqs = malloc(cap * sizeof(*seqs));
    int * lens = malloc(cap * sizeof(int));
    char * line = NULL;
    size_t line_cap = 0;
    while (getline(&line, &line_cap, f) > 0) {
        if (line[0] == '\n' || line[0] == 0) continue;
        if (n_seq == cap) { cap *= 2; seqs = realloc(seqs, cap * sizeof(*seqs)); lens = realloc(lens, cap * sizeof(int)); }
        int len = 0, tcap = 64;
        llama_token * t = malloc(tcap * sizeof(llama_token));
        for (char * p = strtok(line, " \n"); p; p = strtok(NULL, " \n")) {
            if (len == tcap) { tcap *= 2; t = realloc(t, tcap * sizeof(llama_token)); }
            t[len++] = atoi(p);
        }
        seqs[n_seq] = t; lens[n_seq] = len; n_seq++;
        if (len > max_len) max_len = len;
    }
    fclose(f);
    free(line);

    llama_log_set(quiet_log, NULL);
    ggml_backend_load_all_from_path(backend_dir);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model * model = llama_model_load_from_file(model_path, mp);
    if (!model) { fprintf(stderr, "%s: cannot load\n", model_path); return 1; }

    struct llama_context_params cp = llama_context_default_params();
    cp.embeddings = true;
    cp.n_seq_max = batch;
    cp.n_ctx = (uint32_t) (batch * max_len);
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = cp.n_ctx;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    if (pooling) {
        if (strcmp(pooling, "mean") == 0) cp.pooling_type = LLAMA_POOLING_TYPE_MEAN;
        else if (strcmp(pooling, "cls") == 0) cp.pooling_type = LLAMA_POOLING_TYPE_CLS;
        else if (strcmp(pooling, "last") == 0) cp.pooling_type = LLAMA_POOLING_TYPE_LAST;
        else if (strcmp(pooling, "rank") == 0) cp.pooling_type = LLAMA_POOLING_TYPE_RANK;
        else { fprintf(stderr, "unknown pooling '%s' (mean, cls, last, rank)\n", pooling); return 2; }
    }
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }
    // Rank pooling yields n_cls_out scores per sequence, every other pooling an n_embd embedding.
    int rank = llama_pooling_type(ctx) == LLAMA_POOLING_TYPE_RANK;
    int n_embd = rank ? (int) llama_model_n_cls_out(model) : llama_model_n_embd(model);
    float * out = calloc((size_t) n_seq * n_embd, sizeof(float));
    struct llama_batch b = llama_batch_init(batch * max_len, 0, 1);

    double best = 1e30, total = 0;
    for (int r = 0; r <= repeats; r++) { // pass 0 warms up
        double t0 = now_s();
        for (int s0 = 0; s0 < n_seq; s0 += batch) {
            int s1 = s0 + batch < n_seq ? s0 + batch : n_seq;
            b.n_tokens = 0;
            for (int s = s0; s < s1; s++) {
                for (int i = 0; i < lens[s]; i++) {
                    int k = b.n_tokens++;
                    b.token[k] = seqs[s][i];
                    b.pos[k] = i;
                    b.n_seq_id[k] = 1;
                    b.seq_id[k][0] = s - s0;
                    b.logits[k] = 1;
                }
            }
            llama_memory_t mem = llama_get_memory(ctx);
            if (mem) llama_memory_clear(mem, true);
            if (llama_decode(ctx, b) != 0) { fprintf(stderr, "llama_decode failed\n"); return 1; }
            for (int s = s0; s < s1; s++) {
                const float * e = llama_get_embeddings_seq(ctx, s - s0);
                if (!e) { fprintf(stderr, "no pooled embedding for sequence %d\n", s); return 1; }
                memcpy(out + (size_t) s * n_embd, e, n_embd * sizeof(float));
            }
        }
        double dt = now_s() - t0;
        if (r > 0) {
            total += dt;
            if (dt < best) best = dt;
            printf("repeat %d: %.3f s, %.1f chunks/s\n", r, dt, n_seq / dt);
        }
    }
    printf("llama.cpp threads=%d batch=%d sequences=%d: best %.1f chunks/s, mean %.1f chunks/s\n",
           threads, batch, n_seq, n_seq / best, n_seq * repeats / total);

    if (out_path) {
        FILE * o = fopen(out_path, "w");
        for (int s = 0; s < n_seq; s++) {
            double norm = 0;
            for (int c = 0; c < n_embd; c++) norm += (double) out[(size_t) s * n_embd + c] * out[(size_t) s * n_embd + c];
            norm = rank ? 1.0 : sqrt(norm);
            for (int c = 0; c < n_embd; c++) fprintf(o, c ? " %.9g" : "%.9g", out[(size_t) s * n_embd + c] / norm);
            fputc('\n', o);
        }
        fclose(o);
    }
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
