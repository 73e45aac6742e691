using System.Text;
using Groundwork.Documents;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Groundwork.Ingestion.Extraction;

/// <summary>
/// Extracts Markdown with Markdig (CommonMark plus pipe tables and YAML front matter): headings open sections,
/// paragraphs, list items, code blocks, table rows and block quotes become blocks, inline markup becomes plain text.
/// The title is the front matter's <c>title:</c>, else the first level-1 heading.
/// </summary>
public sealed class MarkdownExtractor : IDocumentExtractor
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().Build();
    private readonly ExtractionOptions _options;

    /// <summary>Creates the extractor.</summary>
    public MarkdownExtractor(ExtractionOptions? options = null) => _options = options ?? ExtractionOptions.Default;

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    /// <inheritdoc />
    public async Task<ExtractedDocument> ExtractAsync(string path, CancellationToken cancellationToken = default)
    {
        var size = SourceFile.CheckReadable(path, _options);
        var bytes = await SourceFile.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        var builder = new ExtractedDocumentBuilder();
        var text = TextDecoding.Decode(bytes, path, builder);
        var frontMatterTitle = SplitFrontMatter(ref text);
        var markdown = Markdown.Parse(text, Pipeline);
        var walker = new Walker(builder) { FrontMatterTitle = frontMatterTitle };
        foreach (var block in markdown) walker.Visit(block, BlockKind.Paragraph);
        var title = walker.FrontMatterTitle ?? walker.FirstH1;
        return builder.Build(path, title, ContentHash.Of(bytes), size, "text/markdown");
    }

    /// <summary>Removes a leading YAML front matter block ("---" to "---" or "...") and returns its title, if any.</summary>
    internal static string? SplitFrontMatter(ref string text)
    {
        var body = text.AsSpan();
        if (body.Length > 0 && body[0] == '\uFEFF') body = body[1..];
        if (!body.StartsWith("---\n") && !body.StartsWith("---\r\n")) return null;
        int pos = body.IndexOf('\n') + 1;
        while (pos < body.Length)
        {
            int end = body[pos..].IndexOf('\n');
            var line = (end < 0 ? body[pos..] : body.Slice(pos, end)).TrimEnd();
            if (line is "---" or "...")
            {
                var yaml = body[..pos].ToString();
                text = end < 0 ? "" : body[(pos + end + 1)..].ToString();
                return Walker.ReadTitle(yaml);
            }
            if (end < 0) break;
            pos += end + 1;
        }
        return null;
    }

    private sealed class Walker(ExtractedDocumentBuilder builder)
    {
        public string? FrontMatterTitle { get; init; }
        public string? FirstH1 { get; private set; }

        public void Visit(Block block, BlockKind context)
        {
            switch (block)
            {
                case HeadingBlock heading:
                {
                    var text = InlineText(heading.Inline);
                    if (heading.Level == 1) FirstH1 ??= ExtractedDocumentBuilder.NormalizeInline(text);
                    builder.AddHeading(heading.Level, text);
                    break;
                }
                case ParagraphBlock paragraph:
                    builder.AddBlock(context, InlineText(paragraph.Inline));
                    break;
                case CodeBlock code: // fenced and indented
                    builder.AddBlock(BlockKind.Code, code.Lines.ToString());
                    break;
                case HtmlBlock html:
                    builder.AddBlock(context, StripTags(html.Lines.ToString()));
                    break;
                case Table table:
                    foreach (var row in table.OfType<TableRow>())
                    {
                        var cells = row.OfType<TableCell>().Select(c => ExtractedDocumentBuilder.NormalizeInline(
                            string.Join(" ", c.OfType<ParagraphBlock>().Select(p => InlineText(p.Inline)))));
                        builder.AddBlock(BlockKind.TableRow, string.Join(" | ", cells));
                    }
                    break;
                case QuoteBlock quote:
                    foreach (var child in quote) Visit(child, BlockKind.Quote);
                    break;
                case ListItemBlock item:
                {
                    // The item's own paragraphs form one list item; nested lists become further items.
                    var own = new StringBuilder();
                    foreach (var child in item)
                    {
                        if (child is ParagraphBlock p)
                        {
                            if (own.Length > 0) own.Append('\n');
                            own.Append(InlineText(p.Inline));
                        }
                        else
                        {
                            Flush(own);
                            Visit(child, BlockKind.ListItem);
                        }
                    }
                    Flush(own);
                    break;
                }
                case ContainerBlock container:
                    foreach (var child in container) Visit(child, context);
                    break;
                case LeafBlock leaf when leaf.Inline is not null:
                    builder.AddBlock(context, InlineText(leaf.Inline));
                    break;
            }
        }

        private void Flush(StringBuilder own)
        {
            if (own.Length > 0) builder.AddBlock(BlockKind.ListItem, own.ToString());
            own.Clear();
        }

        public static string? ReadTitle(string yaml)
        {
            foreach (var raw in yaml.Split('\n'))
            {
                var line = raw.Trim();
                if (!line.StartsWith("title:", StringComparison.OrdinalIgnoreCase)) continue;
                var value = line["title:".Length..].Trim();
                if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
                return value.Length > 0 ? value : null;
            }
            return null;
        }
    }

    /// <summary>Plain text of an inline tree: links keep their text, images their alt text, code spans their code.</summary>
    internal static string InlineText(ContainerInline? inline)
    {
        if (inline is null) return "";
        var sb = new StringBuilder();
        Append(sb, inline);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Inline inline)
    {
        switch (inline)
        {
            case LiteralInline literal: sb.Append(literal.Content.AsSpan()); break;
            case CodeInline code: sb.Append(code.Content); break;
            case HtmlEntityInline entity: sb.Append(entity.Transcoded.AsSpan()); break;
            case AutolinkInline auto: sb.Append(auto.Url); break;
            case LineBreakInline br: sb.Append(br.IsHard ? '\n' : ' '); break;
            case HtmlInline: break;
            case ContainerInline container:
                for (var child = container.FirstChild; child is not null; child = child.NextSibling) Append(sb, child);
                break;
        }
    }

    private static string StripTags(string html)
    {
        var sb = new StringBuilder(html.Length);
        bool inTag = false;
        foreach (var c in html)
        {
            if (c == '<') inTag = true;
            else if (c == '>' && inTag) { inTag = false; sb.Append(' '); }
            else if (!inTag) sb.Append(c);
        }
        return System.Net.WebUtility.HtmlDecode(sb.ToString());
    }
}
