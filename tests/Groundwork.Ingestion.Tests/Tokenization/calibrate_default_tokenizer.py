# Measures the ratio of DefaultTokenizer ("default-v1") counts to real tokenizer counts; the numbers in docs/chunking.md.
# default_count re-implements DefaultTokenizer's rules (the C# tokenizer gives identical totals).
# Real counts: Llama 2 SentencePiece (llama2.c tokenizer.bin with llama2.c's encode algorithm) and GPT-2 byte-level BPE
# (vocabulary merges read from the llama.cpp gguf). Both reproduce the token counts of llama.cpp's 47 test strings.
# Usage: python3 calibrate_default_tokenizer.py [path/to/shared]   (needs the `regex` module; a few minutes)
import struct, gzip, json, sys, os, regex

SHARED=sys.argv[1] if len(sys.argv)>1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','..','..','..','shared')

def load_llama2(path):
    with open(path,'rb') as f:
        data=f.read()
    off=4; vocab={}; 
    i=0
    while off < len(data):
        score,=struct.unpack_from('<f',data,off); ln,=struct.unpack_from('<i',data,off+4)
        tok=data[off+8:off+8+ln]; off+=8+ln
        vocab[tok]=(i,score); i+=1
    return vocab

def llama2_encode(vocab, text):
    if not text: return []
    text=' '+text
    toks=[]
    for ch in text:
        b=ch.encode('utf-8')
        if b in vocab: toks.append(b)
        else: toks.extend(bytes([x]) for x in b)  # byte fallback
    while True:
        best=-1e10; bi=-1
        for k in range(len(toks)-1):
            m=toks[k]+toks[k+1]
            v=vocab.get(m)
            if v and v[1]>best: best=v[1]; bi=k
        if bi<0: break
        toks[bi:bi+2]=[toks[bi]+toks[bi+1]]
    return toks

def read_gguf_kv(path):
    f=open(path,'rb'); d=f.read()
    off=0
    def u32():
        nonlocal off; v=struct.unpack_from('<I',d,off)[0]; off+=4; return v
    def u64():
        nonlocal off; v=struct.unpack_from('<Q',d,off)[0]; off+=8; return v
    def s():
        n=u64(); nonlocal off; v=d[off:off+n].decode('utf-8','replace'); off+=n; return v
    sizes={0:1,1:1,2:2,3:2,4:4,5:4,6:4,7:1,10:8,11:8,12:8}
    fmts={0:'<B',1:'<b',2:'<H',3:'<h',4:'<I',5:'<i',6:'<f',7:'<?',10:'<Q',11:'<q',12:'<d'}
    def val(t):
        nonlocal off
        if t==8: return s()
        if t==9:
            et=u32(); n=u64(); return [val(et) for _ in range(n)]
        v=struct.unpack_from(fmts[t],d,off)[0]; off+=sizes[t]; return v
    assert d[:4]==b'GGUF'; off=4; ver=u32(); nt=u64(); nkv=u64()
    kv={}
    for _ in range(nkv):
        k=s(); t=u32(); kv[k]=val(t)
    return kv

def bytes_to_unicode():
    bs=list(range(ord("!"),ord("~")+1))+list(range(ord("¡"),ord("¬")+1))+list(range(ord("®"),ord("ÿ")+1))
    cs=bs[:]; n=0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n+=1
    return dict(zip(bs,[chr(c) for c in cs]))

GPT2_PAT=regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
class GPT2:
    def __init__(self,path):
        kv=read_gguf_kv(path)
        self.ranks={tuple(m.split(' ')):i for i,m in enumerate(kv['tokenizer.ggml.merges'])}
        self.b2u=bytes_to_unicode(); self.cache={}
    def bpe(self,word):
        if word in self.cache: return self.cache[word]
        parts=list(word)
        while len(parts)>1:
            best=None;bi=-1
            for k in range(len(parts)-1):
                r=self.ranks.get((parts[k],parts[k+1]))
                if r is not None and (best is None or r<best): best=r;bi=k
            if bi<0: break
            parts[bi:bi+2]=[parts[bi]+parts[bi+1]]
        self.cache[word]=len(parts); return len(parts)
    def count(self,text):
        n=0
        for w in GPT2_PAT.findall(text):
            n+=self.bpe(''.join(self.b2u[b] for b in w.encode('utf-8')))
        return n

FIRST=4  # DefaultTokenizer.FirstPieceLetters
MORE=4   # DefaultTokenizer.MorePieceLetters
def default_count(t):
    n=0;i=0;L=len(t)
    def cls(c):
        o=ord(c)
        if o<128:
            if c.isascii() and c.isalpha(): return 1
            if '0'<=c<='9': return 2
            if c in ' \t\n\r\x0b\x0c': return 3
            return 0
        return 3 if c.isspace() else 4
    while i<L:
        c=cls(t[i]); j=i+1
        if c in (1,2,3):
            while j<L and cls(t[j])==c: j+=1
            k=j-i
            if c==1: n+= 1 if k<=FIRST else 1+(k-FIRST+MORE-1)//MORE
            elif c==2: n+=(k+2)//3
            else: n+= 0 if (k==1 and t[i]==' ' and j<L) else (k+3)//4
        elif c==0:
            while j<L and cls(t[j])==0: j+=1
            n+=(j-i+1)//2
        else:
            if 0xD800<=ord(t[i])<=0xDBFF: pass
            n+=1
        i=j
    return n

def corpora():
    docs=[]
    with gzip.open(SHARED+'/data/scifact/corpus.jsonl.gz','rt') as f:
        for i,l in enumerate(f):
            if i>=300: break
            o=json.loads(l); docs.append(o['title']+'\n\n'+o['text'])
    spec=open(SHARED+'/fixtures/markdown-commonmark/spec.txt').read()
    paras=[p for p in spec.split('\n\n') if p.strip()]
    return {'scifact (300 abstracts)':docs,'commonmark spec (markdown+code)':paras[:1500]}

def vocab_tests(name):
    inp=open(SHARED+f'/models/llamacpp-vocab/{name}.inp').read().split('\n__ggml_vocab_test__\n')
    out=open(SHARED+f'/models/llamacpp-vocab/{name}.out').read().split('\n')
    ours=sum(default_count(s) for s in inp[:len(out)]); theirs=sum(len(o.split()) for o in out[:len(inp)])
    return ours,theirs

def main():
    llama=load_llama2(SHARED+'/models/llama2-tokenizer/tokenizer.bin')
    gpt=GPT2(SHARED+'/models/llamacpp-vocab/ggml-vocab-gpt-2.gguf')
    for name,docs in corpora().items():
        rows=[(default_count(x),len(llama2_encode(llama,x)),gpt.count(x),len(x)) for x in docs]
        d=sum(r[0] for r in rows); l=sum(r[1] for r in rows); g=sum(r[2] for r in rows); ch=sum(r[3] for r in rows)
        rl=sorted(r[0]/r[1] for r in rows if r[1]>20); rg=sorted(r[0]/r[2] for r in rows if r[2]>20)
        q=lambda v,f: v[int(len(v)*f)]
        print(f"{name}: ratio/llama2 {d/l:.3f} (p5 {q(rl,.05):.2f} median {q(rl,.5):.2f} p95 {q(rl,.95):.2f}) "
              f"ratio/gpt2 {d/g:.3f} (p5 {q(rg,.05):.2f} median {q(rg,.5):.2f} p95 {q(rg,.95):.2f}) "
              f"chars/token default {ch/d:.2f} llama2 {ch/l:.2f} gpt2 {ch/g:.2f}")
    for v in ['ggml-vocab-llama-spm.gguf','ggml-vocab-gpt-2.gguf','ggml-vocab-phi-3.gguf']:
        o,t=vocab_tests(v); print(f'llama.cpp test strings {v}: default {o} real {t} ratio {o/t:.3f}')

if __name__=='__main__':
    main()
