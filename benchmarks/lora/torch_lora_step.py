#!/usr/bin/env python3
"""The PyTorch CPU peer of `Groundwork.Benchmarks.Lora step`: one LoRA optimizer step on a Llama of SmolLM2-135M's
shape (30 layers, dim 576, 9 heads / 3 KV heads, FFN 1536, vocab 49152, tied embeddings), float32, frozen base,
LoRA rank 16 / alpha 32 on q, k, v, o, gate, up, down (A ~ Kaiming-uniform, B = 0, as PEFT and Groundwork), batch 4 x
256 random tokens with every next token counted, cross-entropy, global-norm clipping at 1.0, AdamW.

Base weights are random of the same shapes (the time of a dense float32 step does not depend on the values; the
Groundwork side reads the same shapes from a GGUF). Prints one line of key=value like the C# side, plus the BLAS
library torch loaded.

Usage: torch_lora_step.py THREADS [STEPS] [WARMUP]
"""
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F

DIM, LAYERS, HEADS, KV_HEADS, FFN, VOCAB = 576, 30, 9, 3, 1536, 49152
HEAD_DIM = DIM // HEADS
RANK, ALPHA, BATCH, SEQ = 16, 32.0, 4, 256
EPS, ROPE_BASE = 1e-5, 100000.0


class LoraLinear(torch.nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(d_out, d_in).uniform_(-0.0866, 0.0866), requires_grad=False)
        self.lora_a = torch.nn.Parameter(torch.empty(RANK, d_in).uniform_(-1 / math.sqrt(d_in), 1 / math.sqrt(d_in)))
        self.lora_b = torch.nn.Parameter(torch.zeros(d_out, RANK))
        self.scale = ALPHA / RANK

    def forward(self, x):
        return F.linear(x, self.weight) + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


def rope_tables(n):
    inv = ROPE_BASE ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM)
    ang = torch.arange(n, dtype=torch.float32)[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    a, b = x[..., : HEAD_DIM // 2], x[..., HEAD_DIM // 2:]
    return torch.cat([-b, a], dim=-1)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)
        self.ffn_norm = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)
        self.q = LoraLinear(DIM, HEADS * HEAD_DIM)
        self.k = LoraLinear(DIM, KV_HEADS * HEAD_DIM)
        self.v = LoraLinear(DIM, KV_HEADS * HEAD_DIM)
        self.o = LoraLinear(HEADS * HEAD_DIM, DIM)
        self.gate = LoraLinear(DIM, FFN)
        self.up = LoraLinear(DIM, FFN)
        self.down = LoraLinear(FFN, DIM)

    def forward(self, x, cos, sin, mask):
        b, n, _ = x.shape
        h = rms_norm(x, self.attn_norm)
        q = self.q(h).view(b, n, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k(h).view(b, n, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v(h).view(b, n, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM) + mask
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, DIM)
        x = x + self.o(a)
        h = rms_norm(x, self.ffn_norm)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.empty(VOCAB, DIM).uniform_(-0.0866, 0.0866), requires_grad=False)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.out_norm = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)

    def forward(self, tokens):
        n = tokens.shape[1]
        cos, sin = rope_tables(n)
        mask = torch.full((n, n), float("-inf")).triu(1)
        x = F.embedding(tokens, self.embed)
        for blk in self.blocks:
            x = blk(x, cos, sin, mask)
        return F.linear(rms_norm(x, self.out_norm), self.embed)  # tied output


def blas_loaded():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1] if len(line.split()) >= 6 else ""
            if any(k in p for k in ("blas", "lapack", "mkl")):
                libs.add(p)
    return ",".join(sorted(libs)) or "none"


def main():
    threads = int(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1234)
    model = Model()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    times = []
    for s in range(steps + warmup):
        tokens = torch.randint(0, VOCAB, (BATCH, SEQ))
        t0 = time.perf_counter()
        logits = model(tokens)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        del logits, loss
        if s >= warmup:
            times.append(dt)
    times.sort()
    median = times[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n_params = sum(p.numel() for p in params)
    print(f"step_s={median:.3f} tokens_per_s={BATCH * SEQ / median:.1f} vmhwm_kib={peak} threads={threads} "
          f"tokens={BATCH * SEQ} params={n_params} torch={torch.__version__} blas={blas_loaded()}")


if __name__ == "__main__":
    main()
