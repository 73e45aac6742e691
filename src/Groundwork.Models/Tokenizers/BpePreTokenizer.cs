using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Groundwork.Models.Tokenizers;

/// <summary>
/// Splits text into words before byte-level BPE, as llama.cpp's unicode_regex_split: a sequence of splitters, each
/// applied to the fragments the previous one produced; text a pattern does not match stays as its own fragment.
/// GPT-2's and Llama 3's patterns run as hand-written scanners over code points (llama.cpp does the same); other
/// patterns run as .NET regular expressions.
/// </summary>
internal sealed class BpePreTokenizer
{
    // The exact pattern strings llama.cpp uses (tokenizer.ggml.pre → list of patterns).
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    internal const string Llama3Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    internal const string Qwen2Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly Func<string, List<(int Start, int Length)>, List<(int Start, int Length)>>[] _steps;

    private BpePreTokenizer(string[] patterns)
    {
        Patterns = patterns;
        _steps = new Func<string, List<(int, int)>, List<(int, int)>>[patterns.Length];
        for (int i = 0; i < patterns.Length; i++)
        {
            var p = patterns[i];
            if (p == Gpt2Pattern) _steps[i] = (t, f) => SplitCustom(t, f, llama3: false);
            else if (p == Llama3Pattern) _steps[i] = (t, f) => SplitCustom(t, f, llama3: true);
            else
            {
                var regex = new Regex(p, RegexOptions.CultureInvariant);
                _steps[i] = (t, f) => SplitRegex(t, f, regex);
            }
        }
    }

    /// <summary>A pre-tokenizer from explicit patterns (llama.cpp's exact GPT-2 and Llama 3 strings select the scanners).</summary>
    internal static BpePreTokenizer FromPatterns(params string[] patterns) => new(patterns);

    /// <summary>The patterns applied, in order.</summary>
    public string[] Patterns { get; }

    /// <summary>Whether a whole word that is itself a token skips the merges (Llama 3, Tekken).</summary>
    public bool IgnoreMerges { get; private init; }

    /// <summary>Whether the pre-tokenizer type implies adding BOS (llama.cpp: Llama 3, Tekken, Chameleon).</summary>
    public bool AddBos { get; private init; }

    /// <summary>Whether decoding cleans up spaces before punctuation (llama.cpp's clean_spaces).</summary>
    public bool CleanSpaces { get; private init; } = true;

    /// <summary>The pre-tokenizer for a <c>tokenizer.ggml.pre</c> value, or null when not supported.</summary>
    public static BpePreTokenizer? For(string pre) => pre switch
    {
        "" or "default" => new([@"[\p{P}\$\+<=>\^~\|]+", Gpt2Pattern, @"\p{N}+", "[0-9][0-9][0-9]"]),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" => new([Llama3Pattern]) { IgnoreMerges = true, AddBos = true },
        "dbrx" or "smaug-bpe" => new([Llama3Pattern]),
        "chatglm-bpe" => new([Llama3Pattern]),
        "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v1-en" or "jina-v2-es" or "jina-v2-de"
            or "jina-v2-code" or "roberta-bpe" or "mpt" or "olmo" or "jais" => new([Gpt2Pattern]),
        "starcoder" or "refact" or "codeshell" or "exaone" or "minerva-7b" => new([@"\p{N}", Gpt2Pattern]),
        "command-r" or "smollm" => new([@"\p{N}", Gpt2Pattern]) { CleanSpaces = false },
        "qwen2" => new([Qwen2Pattern]) { CleanSpaces = false },
        "stablelm2" or "megrez" => new([Qwen2Pattern]),
        "falcon" => new([@"[\p{P}\$\+<=>\^~\|`]+", Gpt2Pattern, "[0-9][0-9][0-9]"]),
        "deepseek-coder" => new(["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", "[一-龥ࠀ-一가-퟿]+", @"\p{N}"]) { CleanSpaces = false },
        "deepseek-v3" => new([@"\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
            @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]) { CleanSpaces = false },
        "bloom" or "gpt3-finnish" => new([@" ?[^(\s|.,!?…。，、।۔،)]+"]),
        "poro-chat" => new([@" ?[^(\s|.,!?…。，、।۔،)]+"]) { CleanSpaces = false },
        "viking" => new([@" ?[^(\s|.,!?…。，、।۔،)]+", @"\p{N}"]) { CleanSpaces = false },
        "tekken" => new([@"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"])
            { CleanSpaces = false, IgnoreMerges = true, AddBos = true },
        "chameleon" => new(["<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\t\n]|    |  )", @"\p{N}", @"[\p{P}!-/:-@\[-`{-~]", Gpt2Pattern])
            { CleanSpaces = false, AddBos = true },
        _ => null, // e.g. deepseek-llm: not supported yet
    };

    /// <summary>Splits <paramref name="text"/> into word spans (UTF-16 offsets).</summary>
    public List<(int Start, int Length)> Split(string text)
    {
        var fragments = new List<(int, int)> { (0, text.Length) };
        if (text.Length == 0) return [];
        foreach (var step in _steps) fragments = step(text, fragments);
        return fragments;
    }

    private static List<(int, int)> SplitRegex(string text, List<(int Start, int Length)> fragments, Regex regex)
    {
        // .NET regexes see UTF-16 units, so a supplementary code point would be two "characters" of category Cs.
        // llama.cpp matches code points; run on a copy where each such code point is one BMP stand-in of its category.
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) return SplitRegexCollapsed(text, fragments, regex);
        var result = new List<(int, int)>(fragments.Count * 2);
        foreach (var (start, length) in fragments) MatchFragment(text, start, length, regex, result);
        return result;
    }

    private static void MatchFragment(string text, int start, int length, Regex regex, List<(int, int)> result)
    {
        int pos = start, end = start + length;
        var m = regex.Match(text, start, length);
        while (m.Success)
        {
            if (m.Length > 0)
            {
                if (m.Index > pos) result.Add((pos, m.Index - pos));
                result.Add((m.Index, m.Length));
                pos = m.Index + m.Length;
            }
            m = m.NextMatch();
        }
        if (pos < end) result.Add((pos, end - pos));
    }

    private static List<(int, int)> SplitRegexCollapsed(string text, List<(int Start, int Length)> fragments, Regex regex)
    {
        var collapsed = new StringBuilder(text.Length);
        var toOriginal = new List<int>(text.Length + 1); // collapsed index -> UTF-16 offset in text
        var toCollapsed = new int[text.Length + 1];
        for (int i = 0; i < text.Length;)
        {
            toCollapsed[i] = collapsed.Length;
            toOriginal.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var r = new Rune(text[i], text[i + 1]);
                collapsed.Append(StandIn[(int)Rune.GetUnicodeCategory(r)]);
                toCollapsed[i + 1] = collapsed.Length - 1;
                i += 2;
            }
            else
            {
                collapsed.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
                i++;
            }
        }
        toCollapsed[text.Length] = collapsed.Length;
        toOriginal.Add(text.Length);
        var c = collapsed.ToString();
        var local = new List<(int Start, int Length)>();
        var result = new List<(int, int)>(fragments.Count * 2);
        foreach (var (start, length) in fragments)
        {
            local.Clear();
            int cs = toCollapsed[start], ce = toCollapsed[start + length];
            MatchFragment(c, cs, ce - cs, regex, local);
            foreach (var (s, l) in local) result.Add((toOriginal[s], toOriginal[s + l] - toOriginal[s]));
        }
        return result;
    }

    /// <summary>For each general category, a non-ASCII BMP character of that category (U+FFFD when there is none).</summary>
    private static readonly char[] StandIn = BuildStandIns();

    private static char[] BuildStandIns()
    {
        var map = new char[32];
        Array.Fill(map, '\uFFFD');
        var found = new bool[32];
        for (int c = 0xA0; c < 0x10000; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            int cat = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (!found[cat] && !char.IsWhiteSpace((char)c)) { map[cat] = (char)c; found[cat] = true; }
        }
        return map;
    }

    private enum Cat : byte { Other, Letter, Number, Space, End }

    private static Cat Category(Rune r)
    {
        if (Rune.IsWhiteSpace(r)) return Cat.Space;
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Cat.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Cat.Number,
            _ => Cat.Other,
        };
    }

    /// <summary>llama.cpp's unicode_regex_split_custom_gpt2 / _llama3, over code points of each fragment.</summary>
    private static List<(int, int)> SplitCustom(string text, List<(int Start, int Length)> fragments, bool llama3)
    {
        var result = new List<(int, int)>(fragments.Count * 4);
        var cps = new List<int>();
        var cats = new List<Cat>();
        var offs = new List<int>(); // UTF-16 offset of each code point, plus the end
        foreach (var (fStart, fLength) in fragments)
        {
            cps.Clear(); cats.Clear(); offs.Clear();
            for (int i = fStart; i < fStart + fLength;)
            {
                if (Rune.DecodeFromUtf16(text.AsSpan(i, fStart + fLength - i), out var r, out int used) != System.Buffers.OperationStatus.Done)
                    r = Rune.ReplacementChar;
                cps.Add(r.Value);
                cats.Add(Category(r));
                offs.Add(i);
                i += Math.Max(used, 1);
            }
            offs.Add(fStart + fLength);
            int n = cps.Count;
            int Cp(int p) => p < n ? cps[p] : -1;
            Cat C(int p) => p < n ? cats[p] : Cat.End;
            int prevEnd = 0;
            void Add(int end)
            {
                if (end > prevEnd) result.Add((offs[prevEnd], offs[end] - offs[prevEnd]));
                prevEnd = end;
            }
            static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

            for (int pos = 0; pos < n;)
            {
                int cpt = Cp(pos);
                Cat cat = C(pos);
                // 's|'t|'re|'ve|'m|'ll|'d (case-insensitive for Llama 3)
                if (cpt == '\'' && pos + 1 < n)
                {
                    int c1 = llama3 ? Lower(Cp(pos + 1)) : Cp(pos + 1);
                    if (c1 is 's' or 't' or 'm' or 'd') { Add(pos + 2); pos += 2; continue; }
                    if (pos + 2 < n)
                    {
                        int c2 = llama3 ? Lower(Cp(pos + 2)) : Cp(pos + 2);
                        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) { Add(pos + 3); pos += 3; continue; }
                    }
                }

                if (llama3)
                {
                    // [^\r\n\p{L}\p{N}]?\p{L}+
                    if (!(cpt == '\r' || cpt == '\n' || cat == Cat.Number) && (cat == Cat.Letter || C(pos + 1) == Cat.Letter))
                    {
                        pos++;
                        while (C(pos) == Cat.Letter) pos++;
                        Add(pos);
                        continue;
                    }
                    // \p{N}{1,3}
                    if (cat == Cat.Number)
                    {
                        int ini = pos;
                        while (C(pos) == Cat.Number)
                        {
                            if (++pos - ini >= 3) { Add(pos); ini = pos; }
                        }
                        Add(pos);
                        continue;
                    }
                    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
                    Cat c2x = cpt == ' ' ? C(pos + 1) : cat;
                    if (c2x == Cat.Other)
                    {
                        if (cpt == ' ') pos++;
                        while (C(pos) == Cat.Other) pos++;
                        while (Cp(pos) is '\r' or '\n') pos++;
                        Add(pos);
                        continue;
                    }
                    int ws = 0, lastRn = 0;
                    while (C(pos + ws) == Cat.Space)
                    {
                        if (Cp(pos + ws) is '\r' or '\n') lastRn = pos + ws + 1;
                        ws++;
                    }
                    // \s*[\r\n]+
                    if (lastRn > 0) { pos = lastRn; Add(pos); continue; }
                    // \s+(?!\S)
                    if (ws > 1 && pos + ws < n) { pos += ws - 1; Add(pos); continue; }
                    if (ws > 0) { pos += ws; Add(pos); continue; }
                    Add(++pos);
                }
                else
                {
                    Cat c2 = cpt == ' ' ? C(pos + 1) : cat;
                    // ' '?\p{L}+, ' '?\p{N}+, ' '?[^\s\p{L}\p{N}]+
                    if (c2 is Cat.Letter or Cat.Number or Cat.Other)
                    {
                        if (cpt == ' ') pos++;
                        while (C(pos) == c2) pos++;
                        Add(pos);
                        continue;
                    }
                    int ws = 0;
                    while (C(pos + ws) == Cat.Space) ws++;
                    // \s+(?!\S)
                    if (ws > 1 && pos + ws < n) { pos += ws - 1; Add(pos); continue; }
                    if (ws > 0) { pos += ws; Add(pos); continue; }
                    Add(++pos);
                }
            }
        }
        return result;
    }
}
