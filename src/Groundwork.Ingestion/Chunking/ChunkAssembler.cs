using Groundwork.Documents;
using Groundwork.Text;

namespace Groundwork.Ingestion.Chunking;

/// <summary>
/// One run of <see cref="Chunker.Chunk"/>: packs units (blocks, refined on demand into sentences, words and, for a
/// single over-long word, pieces) greedily into chunks. Pending work is a stack of units and lazy cursors so a huge
/// block is never materialised as millions of units, and units that must move to the next chunk can be pushed back.
/// </summary>
internal sealed class ChunkAssembler
{
    private enum Level : byte { Block, Sentence, Word, Piece }

    private struct Unit
    {
        public int Start, End, Tokens, Block;
        public Level Level;
        public bool Atomic;  // a table row: never refined, never cut
        public bool Heading;
        public bool Exact;   // Tokens was counted, not estimated
    }

    private readonly record struct BlockInfo(int Start, int End, BlockKind Kind, IReadOnlyList<string> Path, int? Page);

    // A place where the next chunk's overlap may start, with the tokens from there to the previous chunk's end.
    private readonly record struct Candidate(int Pos, int Tokens, int Block, bool Sentence);

    private struct Entry
    {
        public Unit Unit;
        public Cursor? Cursor;
    }

    private readonly ITokenizer _tokenizer;
    private readonly int _max;
    private readonly int _target;
    private readonly ExtractedDocument _doc;
    private readonly string _text;
    private readonly List<BlockInfo> _blocks = [];
    private readonly List<TextChunk> _chunks = [];
    private readonly List<Entry> _stack = [];

    // The chunk being built: optional overlap [_ovStart, _ovEnd) then _units.
    private readonly List<Unit> _units = [];
    private int _est;
    private int _contentUnits;
    private IReadOnlyList<string>? _contentPath;
    private int _ovStart = -1, _ovEnd, _ovTokens, _ovBlock, _ovIndex;
    private readonly List<Candidate> _cands = [];

    public ChunkAssembler(ITokenizer tokenizer, ChunkingOptions options, ExtractedDocument doc)
    {
        _tokenizer = tokenizer;
        _max = options.MaxTokens;
        _target = options.OverlapTokens;
        _doc = doc;
        _text = doc.Text ?? "";
    }

    public IReadOnlyList<TextChunk> Run()
    {
        BuildBlocks();
        for (int b = 0; b < _blocks.Count; b++)
        {
            var blk = _blocks[b];
            int s = blk.Start, e = blk.End;
            while (s < e && char.IsWhiteSpace(_text[s])) s++;
            while (e > s && char.IsWhiteSpace(_text[e - 1])) e--;
            if (s == e) continue;
            bool heading = blk.Kind == BlockKind.Heading;
            // A new section starts a new chunk, without overlap.
            if (_contentUnits > 0 && (heading || !SamePath(blk.Path, _contentPath))) Flush(overlap: false);
            Push(new Unit
            {
                Start = s, End = e, Tokens = Count(s, e), Block = b, Level = Level.Block,
                Atomic = blk.Kind == BlockKind.TableRow, Heading = heading, Exact = true,
            });
            Drain();
        }
        Flush(overlap: false);
        return _chunks;
    }

    private void Drain()
    {
        while (_stack.Count > 0)
        {
            var top = _stack[^1];
            Unit u;
            if (top.Cursor is null)
            {
                _stack.RemoveAt(_stack.Count - 1);
                u = top.Unit;
            }
            else if (top.Cursor.TryNext(_text, out u))
            {
                u.Tokens = Count(u.Start, u.End);
                u.Exact = true;
            }
            else
            {
                _stack.RemoveAt(_stack.Count - 1);
                continue;
            }
            Place(u);
        }
    }

    private void Place(Unit u)
    {
        int sep = SepCost(u.Start);
        if (!u.Exact && _est + sep + u.Tokens <= _max)
        {
            u.Tokens = Count(u.Start, u.End);
            u.Exact = true;
        }
        if (_est + sep + u.Tokens <= _max)
        {
            Add(u, sep);
            return;
        }
        if (_contentUnits > 0)
        {
            Push(u);
            Flush(overlap: true);
            return;
        }
        // The chunk holds only overlap or headings: make room inside u rather than end the chunk here.
        if (!u.Atomic && u.Level < Level.Word)
        {
            bool lines = u.Level == Level.Block && _blocks[u.Block].Kind == BlockKind.Code;
            _stack.Add(new Entry { Cursor = new Cursor(u.Start, u.End, u.Block, u.Level + 1, lines, u.Heading) });
            return;
        }
        if (u.Exact && TryShrinkOverlap(u))
        {
            Add(u, SepCost(u.Start));
            return;
        }
        if (u.Atomic)
        {
            // A table row larger than the room: its own (oversized) chunk, after any headings above it.
            ClearOverlap();
            Add(u, SepCost(u.Start));
            return;
        }
        // A single word (or the rest of one) longer than the room left: cut it between characters.
        int room = _max - _est - sep;
        if (room < Math.Max(1, _max / 8))
        {
            if (_units.Count > 0)
            {
                Push(u);
                Flush(overlap: false);
                return;
            }
            ClearOverlap();
            sep = 0;
            room = _max;
        }
        int cut = FindCut(u.Start, u.End, room, out int pieceTokens);
        if (cut < u.End)
            Push(u with { Start = cut, Tokens = Math.Max(1, u.Tokens - pieceTokens), Exact = false, Level = Level.Piece });
        Add(u with { End = cut, Tokens = pieceTokens, Exact = true, Level = Level.Piece }, sep);
    }

    private void Add(Unit u, int sep)
    {
        _units.Add(u);
        _est += sep + u.Tokens;
        if (u.Heading) return;
        if (_contentUnits == 0) _contentPath = _blocks[u.Block].Path;
        _contentUnits++;
    }

    private void Push(Unit u) => _stack.Add(new Entry { Unit = u });

    private void Flush(bool overlap)
    {
        if (_units.Count == 0)
        {
            ClearOverlap();
            return;
        }
        int start = _ovStart >= 0 ? _ovStart : _units[0].Start;
        int end = _units[^1].End;
        int real = Count(start, end);
        if (real > _max && !(_contentUnits == 1 && _units[^1].Atomic))
        {
            // Only for tokenizers whose counts are not additive: give up the overlap, then move trailing units on.
            if (_ovStart >= 0)
            {
                ClearOverlap();
                start = _units[0].Start;
                real = Count(start, end);
            }
            while (real > _max && _contentUnits > 1)
            {
                Push(_units[^1]);
                _units.RemoveAt(_units.Count - 1);
                _contentUnits--;
                end = _units[^1].End;
                real = Count(start, end);
            }
        }

        int firstBlock = _ovStart >= 0 ? _ovBlock : _units[0].Block, lastBlock = _units[^1].Block;
        int? pageStart = null, pageEnd = null;
        for (int b = firstBlock; b <= lastBlock; b++)
        {
            if (_blocks[b].Page is not int p) continue;
            pageStart = pageStart is int ps ? Math.Min(ps, p) : p;
            pageEnd = pageEnd is int pe ? Math.Max(pe, p) : p;
        }
        var path = _contentUnits > 0 ? _contentPath! : _blocks[lastBlock].Path;
        _chunks.Add(new TextChunk(_chunks.Count, start, end, _text.Substring(start, end - start), path, pageStart, pageEnd, real));

        ClearOverlap();
        if (overlap && _target > 0) ComputeOverlap(end);
        _units.Clear();
        _contentUnits = 0;
        _contentPath = null;
        _est = _ovStart >= 0 ? _ovTokens : 0;
    }

    private void ClearOverlap()
    {
        if (_ovStart >= 0 && _units.Count == 0) _est = 0;
        _ovStart = -1;
        _ovTokens = 0;
        _cands.Clear();
    }

    // Walks back from the end of the chunk being flushed over words (table rows whole) of its last section,
    // collecting places where the next chunk may start, up to the overlap target.
    private void ComputeOverlap(int chunkEnd)
    {
        var lastPath = _blocks[_units[^1].Block].Path;
        int acc = 0, next = chunkEnd;
        for (int ui = _units.Count - 1; ui >= 0; ui--)
        {
            var u = _units[ui];
            if (!SamePath(_blocks[u.Block].Path, lastPath)) break;
            if (u.Atomic)
            {
                int t = SepBetween(u.End, next) + u.Tokens;
                if (acc + t > _target) break;
                acc += t;
                next = u.Start;
                _cands.Add(new Candidate(u.Start, acc, u.Block, true));
                continue;
            }
            int p = u.End;
            bool stop = false;
            while (p > u.Start)
            {
                int q = p;
                while (q > u.Start && !char.IsWhiteSpace(_text[q - 1])) q--;
                int sep = SepBetween(p, next);
                int wt = Count(q, p);
                if (acc + sep + wt > _target)
                {
                    TakeWordSuffix(q, p, acc + sep, u.Block);
                    stop = true;
                    break;
                }
                acc += sep + wt;
                next = q;
                if (WordBoundary.IsAt(_text, q))
                {
                    bool sentence = (q == u.Start && u.Level <= Level.Sentence) || SentenceSplitter.IsSentenceStart(_text, q, u.Start);
                    _cands.Add(new Candidate(q, acc, u.Block, sentence));
                }
                p = q;
                while (p > u.Start && char.IsWhiteSpace(_text[p - 1])) p--;
            }
            if (stop) break;
        }
        if (_cands.Count == 0) return;

        // The farthest-back start, unless a sentence start gives at least half the target.
        int best = _cands.Count - 1;
        for (int i = _cands.Count - 1; i >= 0; i--)
        {
            if (_cands[i].Sentence && _cands[i].Tokens * 2 >= _target)
            {
                best = i;
                break;
            }
        }
        _cands.RemoveRange(best + 1, _cands.Count - best - 1);
        SetOverlap(best, chunkEnd);
    }

    // A word [q, p) too long for the overlap left: take a suffix of it that starts at a punctuation or CJK boundary.
    private void TakeWordSuffix(int q, int p, int baseTokens, int block)
    {
        int budget = _target - baseTokens;
        if (budget <= 0) return;
        int acc = 0, r = p;
        int limit = Math.Max(q, p - 16 * (budget + 1));
        for (int k = p - 1; k > limit; k--)
        {
            if (!WordBoundary.IsAt(_text, k)) continue;
            acc += Count(k, r);
            if (acc > budget) break;
            r = k;
            _cands.Add(new Candidate(k, baseTokens + acc, block, false));
        }
    }

    private void SetOverlap(int index, int chunkEnd)
    {
        var c = _cands[index];
        _ovIndex = index;
        _ovStart = c.Pos;
        _ovTokens = c.Tokens;
        _ovBlock = c.Block;
        _ovEnd = chunkEnd;
    }

    // u fits in a chunk on its own but not after the overlap: keep as much overlap as leaves room for it.
    private bool TryShrinkOverlap(Unit u)
    {
        if (_ovStart < 0 || _units.Count > 0 || u.Tokens > _max) return false;
        int sep = SepBetween(_ovEnd, u.Start);
        for (int i = _ovIndex - 1; i >= 0; i--)
        {
            if (_cands[i].Tokens + sep + u.Tokens > _max) continue;
            _cands.RemoveRange(i + 1, _cands.Count - i - 1);
            SetOverlap(i, _ovEnd);
            _est = _ovTokens;
            return true;
        }
        ClearOverlap();
        return true;
    }

    // The longest prefix of [s, e) within room tokens, cut at a character boundary (never inside a surrogate pair),
    // moved back to a punctuation or CJK boundary when one lies in its second half.
    private int FindCut(int s, int e, int room, out int tokens)
    {
        int len = e - s, lo = 0, hi = -1, tryLen = Math.Min(len, Math.Max(1, room * 4));
        while (true)
        {
            if (Count(s, s + tryLen) <= room)
            {
                lo = tryLen;
                if (tryLen == len) break;
                tryLen = Math.Min(len, tryLen * 2);
            }
            else
            {
                hi = tryLen;
                break;
            }
        }
        while (hi - lo > 1)
        {
            int mid = lo + (hi - lo) / 2;
            if (Count(s, s + mid) <= room) lo = mid;
            else hi = mid;
        }
        int cut = s + lo;
        if (cut < e)
        {
            if (cut > s && char.IsHighSurrogate(_text[cut - 1]) && char.IsLowSurrogate(_text[cut])) cut--;
            for (int k = cut; k > s + (cut - s) / 2; k--)
            {
                if (!WordBoundary.IsAt(_text, k)) continue;
                cut = k;
                break;
            }
            if (cut == s) cut = s + (char.IsHighSurrogate(_text[s]) && s + 1 < e && char.IsLowSurrogate(_text[s + 1]) ? 2 : 1);
        }
        tokens = Count(s, cut);
        return cut;
    }

    private int ChunkEnd => _units.Count > 0 ? _units[^1].End : _ovStart >= 0 ? _ovEnd : -1;

    private int SepCost(int pos)
    {
        int end = ChunkEnd;
        return end < 0 ? 0 : SepBetween(end, pos);
    }

    // Tokens of the whitespace between two units; a single space is folded into the next word.
    private int SepBetween(int a, int b)
        => b <= a || (b - a == 1 && _text[a] == ' ') ? 0 : Count(a, b);

    private int Count(int s, int e) => _tokenizer.CountTokens(_text.AsSpan(s, e - s));

    private static bool SamePath(IReadOnlyList<string> a, IReadOnlyList<string>? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (b is null || a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal)) return false;
        return true;
    }

    // Validates the blocks and fills gaps of non-whitespace text between them with paragraphs, so every
    // non-whitespace character is chunked.
    private void BuildBlocks()
    {
        var blocks = _doc.Blocks ?? [];
        int n = _text.Length, prevEnd = 0;
        IReadOnlyList<string> prevPath = [];
        int? prevPage = blocks.Count > 0 ? blocks[0]?.Page : null;
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i] ?? throw new ArgumentException($"{_doc.SourcePath}: block {i} is null", "doc");
            if (b.Start < 0 || b.Length < 0 || b.Start > n - b.Length)
                throw new ArgumentException(
                    $"{_doc.SourcePath}: block {i} ({b.Kind}) spans [{b.Start}, {(long)b.Start + b.Length}), outside the text of length {n}", "doc");
            if (b.Start < prevEnd)
                throw new ArgumentException(
                    $"{_doc.SourcePath}: block {i} ({b.Kind}) starts at {b.Start}, before the previous block ends at {prevEnd}; blocks must be in order and not overlap", "doc");
            AddGap(prevEnd, b.Start, prevPath, prevPage);
            var path = b.SectionPath ?? [];
            _blocks.Add(new BlockInfo(b.Start, b.End, b.Kind, path, b.Page));
            prevEnd = b.End;
            prevPath = path;
            prevPage = b.Page;
        }
        AddGap(prevEnd, n, prevPath, prevPage);
    }

    private void AddGap(int start, int end, IReadOnlyList<string> path, int? page)
    {
        if (_text.AsSpan(start, end - start).IsWhiteSpace()) return;
        _blocks.Add(new BlockInfo(start, end, BlockKind.Paragraph, path, page));
    }

    /// <summary>Yields the sentences (or lines, for code) or the words of a range, one at a time.</summary>
    private sealed class Cursor(int pos, int end, int block, Level level, bool lines, bool heading)
    {
        public bool TryNext(string text, out Unit unit)
        {
            while (pos < end && char.IsWhiteSpace(text[pos])) pos++;
            if (pos >= end)
            {
                unit = default;
                return false;
            }
            int stop;
            if (level == Level.Sentence)
            {
                if (lines)
                {
                    int nl = text.AsSpan(pos, end - pos).IndexOf('\n');
                    stop = nl < 0 ? end : pos + nl;
                }
                else stop = SentenceSplitter.NextSentenceEnd(text, pos, end);
            }
            else
            {
                stop = pos;
                while (stop < end && !char.IsWhiteSpace(text[stop])) stop++;
            }
            int trimmed = stop;
            while (trimmed > pos && char.IsWhiteSpace(text[trimmed - 1])) trimmed--;
            unit = new Unit { Start = pos, End = trimmed, Block = block, Level = level, Heading = heading, Tokens = -1 };
            pos = stop;
            return true;
        }
    }
}
