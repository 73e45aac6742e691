using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Groundwork.Documents;

namespace Groundwork.Ingestion.Extraction;

/// <summary>
/// Extracts the main content of an HTML page with AngleSharp, in the spirit of Mozilla Readability: drops scripts,
/// navigation, hidden and boilerplate elements, scores paragraph containers by text and link density, keeps the best
/// one (preferring article/main) with its related siblings, and turns headings, paragraphs, list items, code, quotes and
/// table rows into blocks. The title comes from og:title, then &lt;title&gt;, then the first h1.
/// </summary>
public sealed class HtmlExtractor : IDocumentExtractor
{
    private readonly ExtractionOptions _options;

    /// <summary>Creates the extractor.</summary>
    public HtmlExtractor(ExtractionOptions? options = null) => _options = options ?? ExtractionOptions.Default;

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".html", ".htm"];

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        var size = SourceFile.CheckReadable(path, _options);
        var bytes = await SourceFile.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        if (PlainTextExtractor.DetectBom(bytes).Encoding is null
            && PlainTextExtractor.LooksBinary(bytes.AsSpan(0, Math.Min(bytes.Length, 8192))))
            throw new ExtractionException(path, "looks like a binary file, not HTML (NUL or control bytes in the first 8 KB)");
        var builder = new ExtractedDocumentBuilder();
        using var stream = new MemoryStream(bytes, writable: false);
        using var document = await new HtmlParser().ParseDocumentAsync(stream, cancellationToken).ConfigureAwait(false);
        var title = FindTitle(document);
        var body = document.Body;
        if (body is not null)
        {
            var content = MainContent.Select(body);
            new BlockWriter(builder).Write(content);
        }
        return builder.Build(path, title, ContentHash.Of(bytes), size, "text/html");
    }

    private static string? FindTitle(IDocument document)
    {
        var og = document.QuerySelector("meta[property='og:title'], meta[name='og:title']")?.GetAttribute("content");
        if (!string.IsNullOrWhiteSpace(og)) return ExtractedDocumentBuilder.NormalizeInline(og);
        var title = document.QuerySelector("title")?.TextContent;
        if (!string.IsNullOrWhiteSpace(title)) return ExtractedDocumentBuilder.NormalizeInline(title);
        var h1 = document.QuerySelector("h1")?.TextContent;
        return string.IsNullOrWhiteSpace(h1) ? null : ExtractedDocumentBuilder.NormalizeInline(h1);
    }
}

/// <summary>Readability-style choice of the element that holds a page's main content.</summary>
internal static partial class MainContent
{
    private static readonly HashSet<string> DropTags = new(StringComparer.Ordinal)
    {
        "script", "style", "noscript", "template", "nav", "footer", "aside", "form", "iframe", "button", "select",
        "input", "textarea", "object", "embed", "canvas", "svg", "link", "meta", "dialog", "menu",
    };

    [GeneratedRegex("-ad-|^ads?$|^ad-|-ads?$|advert|ai2html|banner|breadcrumb|combx|comment|community|cookie|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|masthead|navbar|^nav|-nav|nav-|newsletter|promo|related|remark|replies|rss|share|sharing|shoutbox|sidebar|skyscraper|social|sponsor|subscribe|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|toolbar|byline|author-info", RegexOptions.IgnoreCase)]
    private static partial Regex Unlikely();

    [GeneratedRegex("and|article|body|column|content|main|mathjax|shadow|post|entry|text|story", RegexOptions.IgnoreCase)]
    private static partial Regex MaybeCandidate();

    [GeneratedRegex("article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story", RegexOptions.IgnoreCase)]
    private static partial Regex Positive();

    [GeneratedRegex("-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget", RegexOptions.IgnoreCase)]
    private static partial Regex Negative();

    [GeneratedRegex(@"display\s*:\s*none|visibility\s*:\s*hidden", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenStyle();

    private static readonly HashSet<string> ScoreTags = new(StringComparer.Ordinal) { "p", "pre", "td", "section", "h2", "h3", "h4", "h5", "h6" };
    private static readonly HashSet<string> BlockTags = new(StringComparer.Ordinal)
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figure", "figcaption", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "details", "summary", "center",
    };

    public static bool IsBlock(IElement e) => BlockTags.Contains(e.LocalName);

    /// <summary>Cleans <paramref name="body"/> in place and returns the main-content element (or body itself).</summary>
    public static IElement Select(IElement body)
    {
        RemoveNoise(body);
        var scores = new Dictionary<IElement, double>();
        foreach (var e in body.QuerySelectorAll("*"))
        {
            if (!ScoreTags.Contains(e.LocalName) && !(e.LocalName == "div" && !e.Children.Any(IsBlock))) continue;
            var text = Text(e);
            if (text.Length < 25) continue;
            double score = 1 + text.Count(c => c == ',' || c == '，' || c == '、') + Math.Min(Math.Floor(text.Length / 100.0), 3);
            var ancestor = e.ParentElement;
            for (int level = 0; ancestor is not null && level < 5; level++, ancestor = ancestor.ParentElement)
            {
                if (!scores.ContainsKey(ancestor)) scores[ancestor] = InitialScore(ancestor);
                double divider = level == 0 ? 1 : level == 1 ? 2 : level * 3;
                scores[ancestor] += score / divider;
            }
        }
        if (scores.Count == 0) return body;
        IElement? top = null;
        double best = double.MinValue;
        foreach (var (e, s) in scores)
        {
            double final = s * (1 - LinkDensity(e));
            scores[e] = final;
            if (final > best) { best = final; top = e; }
        }
        if (top is null) return body;

        // Several strong candidates under one ancestor: the ancestor holds the article.
        var strong = scores.Where(kv => kv.Key != top && kv.Value >= best * 0.75).Select(kv => kv.Key).ToList();
        if (strong.Count >= 2)
        {
            for (var parent = top.ParentElement; parent is not null && parent != body.ParentElement; parent = parent.ParentElement)
            {
                if (strong.Count(s => parent.Contains(s)) >= 2) { top = parent; break; }
            }
        }
        // Climb while the parent is barely more than the top candidate (a wrapper).
        var topText = Text(top).Length;
        while (top.ParentElement is { } p && p != body.ParentElement && top != body)
        {
            var parentText = Text(p).Length;
            if (parentText > topText * 1.25 + 50) break;
            top = p;
            topText = parentText;
        }
        // Prefer an enclosing article/main when it does not add much.
        var semantic = top.Closest("article, main, [role=main]");
        if (semantic is not null && Text(semantic).Length <= topText * 1.6 + 200) top = semantic;

        // Keep siblings that look like part of the article.
        if (top.ParentElement is { } container && top != body)
        {
            double threshold = Math.Max(10, best * 0.2);
            var keep = new List<IElement>();
            foreach (var sibling in container.Children)
            {
                if (sibling == top) { keep.Add(sibling); continue; }
                bool append = scores.TryGetValue(sibling, out var sc) && sc >= threshold;
                if (!append && sibling.LocalName == "p")
                {
                    var t = Text(sibling);
                    var ld = LinkDensity(sibling);
                    append = (t.Length > 80 && ld < 0.25) || (t.Length > 0 && t.Length <= 80 && ld == 0 && t.Contains(". ", StringComparison.Ordinal));
                }
                if (append) keep.Add(sibling);
            }
            if (keep.Count > 1)
            {
                var wrapper = body.Owner!.CreateElement("div");
                foreach (var k in keep) wrapper.AppendChild(k.Clone(deep: true));
                top = wrapper;
            }
        }
        CleanConditionally(top);
        return top;
    }

    private static double InitialScore(IElement e)
    {
        double s = e.LocalName switch
        {
            "div" or "article" or "main" => 5,
            "pre" or "td" or "blockquote" => 3,
            "address" or "ol" or "ul" or "dl" or "dd" or "dt" or "li" or "form" => -3,
            "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "th" => -5,
            _ => 0,
        };
        if (e.LocalName is "article" or "main" || e.GetAttribute("role") == "main") s += 10;
        return s + ClassWeight(e);
    }

    private static double ClassWeight(IElement e)
    {
        double w = 0;
        foreach (var value in new[] { e.ClassName, e.Id })
        {
            if (string.IsNullOrEmpty(value)) continue;
            if (Negative().IsMatch(value)) w -= 25;
            if (Positive().IsMatch(value)) w += 25;
        }
        return w;
    }

    private static void RemoveNoise(IElement body)
    {
        foreach (var e in body.QuerySelectorAll("*").ToList())
        {
            if (e.Parent is null) continue; // already removed with an ancestor
            var tag = e.LocalName;
            if (DropTags.Contains(tag)
                || e.HasAttribute("hidden")
                || string.Equals(e.GetAttribute("aria-hidden"), "true", StringComparison.OrdinalIgnoreCase)
                || (e.GetAttribute("style") is { } style && HiddenStyle().IsMatch(style))
                || (tag == "header" && e.Closest("article, main") is null && e.QuerySelector("h1") is null))
                e.Remove();
        }
        var bodyTextLength = Text(body).Length;
        foreach (var e in body.QuerySelectorAll("*").ToList())
        {
            if (e.Parent is null) continue;
            if (e.LocalName is "body" or "article" or "main" or "a" or "table" or "tbody" or "tr" or "td" or "pre" or "code") continue;
            var match = $"{e.ClassName} {e.Id}";
            var role = e.GetAttribute("role");
            bool drop = false;
            if (role is "navigation" or "complementary" or "contentinfo" or "banner" or "dialog" or "alert" or "menu" or "menubar")
                drop = true;
            else if (match.Length > 1 && Unlikely().IsMatch(match) && !MaybeCandidate().IsMatch(match)
                && e.Closest("table, code, pre") is null
                && e.QuerySelector("article, main, [role=main]") is null)
            {
                // Keep a boilerplate-named element when it holds most of the page's text (it is the content).
                drop = Text(e).Length < bodyTextLength * 0.5;
            }
            if (drop) e.Remove();
        }
    }

    /// <summary>Removes lists, tables and divs inside the content that look like link farms or widgets.</summary>
    private static void CleanConditionally(IElement top)
    {
        foreach (var e in top.QuerySelectorAll("div, ul, ol, table, section").ToList())
        {
            if (e.Parent is null || !top.Contains(e)) continue;
            if (e.Closest("pre, code") is not null) continue;
            var text = Text(e);
            var linkDensity = LinkDensity(e);
            int paragraphs = e.QuerySelectorAll("p").Length;
            int images = e.QuerySelectorAll("img").Length;
            int listItems = e.QuerySelectorAll("li").Length;
            int inputs = e.QuerySelectorAll("input").Length;
            double weight = ClassWeight(e);
            bool isList = e.LocalName is "ul" or "ol";
            bool remove = weight < 0 && text.Length < 200
                || (linkDensity > 0.5 && !isList && text.Length < 1000)
                || (linkDensity > 0.8 && isList)
                || (weight < 25 && linkDensity > 0.2 && text.Length < 25 && images == 0)
                || (!isList && e.LocalName != "table" && images > 1 && paragraphs < images / 2.0 && text.Length < 200)
                || inputs > paragraphs / 3 + 1 && text.Length < 500
                || (!isList && listItems > paragraphs * 2 && linkDensity > 0.3 && text.Length < 500);
            if (remove) e.Remove();
        }
    }

    private static string Text(IElement e) => ExtractedDocumentBuilder.NormalizeInline(e.TextContent);

    private static double LinkDensity(IElement e)
    {
        var total = Text(e).Length;
        if (total == 0) return 0;
        double links = 0;
        foreach (var a in e.QuerySelectorAll("a"))
        {
            var href = a.GetAttribute("href");
            double coefficient = href is not null && href.StartsWith('#') ? 0.3 : 1;
            links += Text(a).Length * coefficient;
        }
        return links / total;
    }
}

/// <summary>Walks a content element and turns it into builder blocks.</summary>
internal sealed class BlockWriter(ExtractedDocumentBuilder builder)
{
    private readonly StringBuilder _inline = new();

    public void Write(IElement root)
    {
        WalkChildren(root, BlockKind.Paragraph);
        FlushInline(BlockKind.Paragraph);
    }

    private void WalkChildren(INode node, BlockKind context)
    {
        foreach (var child in node.ChildNodes) Walk(child, context);
    }

    private void Walk(INode node, BlockKind context)
    {
        if (node is IText text) { _inline.Append(text.Data); return; }
        if (node is not IElement e) return;
        switch (e.LocalName)
        {
            case "br": _inline.Append('\n'); return;
            case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                FlushInline(context);
                builder.AddHeading(e.LocalName[1] - '0', e.TextContent);
                return;
            case "p":
                FlushInline(context);
                WalkChildren(e, context);
                FlushInline(context);
                return;
            case "pre":
                FlushInline(context);
                builder.AddBlock(BlockKind.Code, e.TextContent);
                return;
            case "blockquote":
                FlushInline(context);
                WalkChildren(e, BlockKind.Quote);
                FlushInline(BlockKind.Quote);
                return;
            case "li" or "dt" or "dd":
                FlushInline(context);
                WalkChildren(e, BlockKind.ListItem);
                FlushInline(BlockKind.ListItem);
                return;
            case "table":
                FlushInline(context);
                WriteTable(e, context);
                return;
            case "img":
                return;
        }
        if (MainContent.IsBlock(e))
        {
            FlushInline(context);
            WalkChildren(e, context);
            FlushInline(context);
        }
        else WalkChildren(e, context);
    }

    private void WriteTable(IElement table, BlockKind context)
    {
        // A layout table (cells holding block content) is walked as a container, not flattened into rows.
        var rows = table.QuerySelectorAll("tr").Where(r => r.Closest("table") == table).ToList();
        bool layout = rows.Any(r => r.Children.Any(c => c.QuerySelector("p, div, table, ul, ol, h1, h2, h3, h4, pre, blockquote") is not null));
        if (layout)
        {
            foreach (var cell in rows.SelectMany(r => r.Children))
            {
                WalkChildren(cell, context);
                FlushInline(context);
            }
            return;
        }
        var caption = table.QuerySelector("caption");
        if (caption is not null) builder.AddBlock(BlockKind.Paragraph, caption.TextContent);
        foreach (var row in rows)
        {
            var cells = row.Children.Where(c => c.LocalName is "td" or "th")
                .Select(c => ExtractedDocumentBuilder.NormalizeInline(c.TextContent)).ToList();
            if (cells.All(c => c.Length == 0)) continue;
            builder.AddBlock(BlockKind.TableRow, string.Join(" | ", cells));
        }
    }

    private void FlushInline(BlockKind kind)
    {
        if (_inline.Length == 0) return;
        builder.AddBlock(kind, _inline.ToString());
        _inline.Clear();
    }
}
