using System.Text;

namespace Groundwork.Documents;

/// <summary>
/// Assembles an <see cref="ExtractedDocument"/> block by block, keeping the text and the block
/// offsets consistent. Extractors call <see cref="AddHeading"/> and <see cref="AddBlock"/> in reading order.
/// </summary>
public sealed class ExtractedDocumentBuilder
{
    private readonly StringBuilder _text = new();
    private readonly List<TextBlock> _blocks = [];
    private readonly List<string> _warnings = [];
    // Heading stack as (level, text); the section path is its texts.
    private readonly List<(int Level, string Text)> _headings = [];
    private IReadOnlyList<string> _sectionPath = [];
    private BlockKind? _lastKind;

    /// <summary>The page number attached to blocks added from now on (null for unpaginated sources).</summary>
    public int? CurrentPage { get; set; }

    /// <summary>The first heading seen, a fallback title.</summary>
    public string? FirstHeading { get; private set; }

    /// <summary>The current section path.</summary>
    public IReadOnlyList<string> SectionPath => _sectionPath;

    /// <summary>Records a non-fatal problem.</summary>
    public void Warn(string message) => _warnings.Add(message);

    /// <summary>Adds a heading of the given level (1 = top) and makes it the current section.</summary>
    public void AddHeading(int level, string text)
    {
        text = NormalizeInline(text);
        if (text.Length == 0) return;
        FirstHeading ??= text;
        while (_headings.Count > 0 && _headings[^1].Level >= level) _headings.RemoveAt(_headings.Count - 1);
        _headings.Add((level, text));
        _sectionPath = _headings.Select(h => h.Text).ToArray();
        Append(BlockKind.Heading, text);
    }

    /// <summary>Adds a block of text under the current section. Empty or whitespace-only text is ignored.</summary>
    public void AddBlock(BlockKind kind, string text)
    {
        if (kind == BlockKind.Heading) throw new ArgumentException("Use AddHeading for headings.", nameof(kind));
        text = kind == BlockKind.Code ? text.TrimEnd() : NormalizeBlock(text);
        if (string.IsNullOrWhiteSpace(text)) return;
        Append(kind, text);
    }

    private void Append(BlockKind kind, string text)
    {
        if (_text.Length > 0)
            _text.Append(kind == BlockKind.TableRow && _lastKind == BlockKind.TableRow ? "\n" : "\n\n");
        _blocks.Add(new TextBlock(_text.Length, text.Length, kind, _sectionPath, CurrentPage));
        _text.Append(text);
        _lastKind = kind;
    }

    /// <summary>Builds the document.</summary>
    public ExtractedDocument Build(string sourcePath, string? title, string contentHash, long byteSize, string mediaType, int? pageCount = null)
        => new(sourcePath, string.IsNullOrWhiteSpace(title) ? FirstHeading ?? Path.GetFileNameWithoutExtension(sourcePath) : title.Trim(),
            _text.ToString(), _blocks.ToArray(), contentHash, byteSize, mediaType, _warnings.ToArray(), pageCount);

    /// <summary>Collapses runs of whitespace (including newlines) to single spaces and trims.</summary>
    public static string NormalizeInline(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == '\u00A0') { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Keeps single line breaks, collapses other whitespace runs, drops blank lines (they separate blocks).</summary>
    public static string NormalizeBlock(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var sb = new StringBuilder(text.Length);
        foreach (var line in lines)
        {
            var l = NormalizeInline(line);
            if (l.Length == 0) continue;
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(l);
        }
        return sb.ToString();
    }
}
