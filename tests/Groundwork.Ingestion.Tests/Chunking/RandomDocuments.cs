using System.Text;
using Groundwork.Documents;

namespace Groundwork.Ingestion.Tests.Chunking;

/// <summary>Seeded random documents for the chunker's property tests.</summary>
internal static class RandomDocuments
{
    private const string Consonants = "bcdfghjklmnprstvwz";
    private const string Vowels = "aeiou";
    private static readonly string[] Unicode = ["café", "naïve", "Ärger", "нещо", "Български", "Việt", "😀", "🦙", "a😀b", "𝔘𝔫𝔦", "👍🏽"];
    private const string Cjk = "我想在工作天的中国日本語東京大学研究所の発表会議";

    /// <summary>Options for one generated document.</summary>
    /// <param name="Prose">Only short words: no table rows, over-long words, CJK runs or symbols glued to words.</param>
    internal sealed record Shape(bool Prose, bool Paginated);

    public static (ExtractedDocument Doc, Shape Shape) Create(int seed)
    {
        var rng = new Random(seed);
        var shape = new Shape(Prose: rng.Next(3) == 0, Paginated: rng.Next(2) == 0);
        var b = new ExtractedDocumentBuilder();
        int page = 1;
        if (shape.Paginated) b.CurrentPage = page;
        int sections = rng.Next(0, 5), headingNo = 0;
        if (rng.Next(3) == 0) AddContent(b, rng, shape, rng.Next(1, 4), ref page);
        for (int s = 0; s < sections; s++)
        {
            int headings = rng.Next(1, 3);
            for (int h = 0; h < headings; h++)
                b.AddHeading(rng.Next(1, 4), $"{Word(rng)} {Word(rng)} {++headingNo}");
            if (rng.Next(6) > 0) AddContent(b, rng, shape, rng.Next(1, 7), ref page);
        }
        var doc = b.Build($"random-{seed}.txt", null, "0", 0, "text/plain", shape.Paginated ? page : null);
        return (doc, shape);
    }

    private static void AddContent(ExtractedDocumentBuilder b, Random rng, Shape shape, int blocks, ref int page)
    {
        for (int i = 0; i < blocks; i++)
        {
            if (shape.Paginated && rng.Next(4) == 0) b.CurrentPage = ++page;
            int kind = rng.Next(shape.Prose ? 4 : 9);
            switch (kind)
            {
                case 0 or 1:
                    b.AddBlock(BlockKind.Paragraph, Paragraph(rng, shape, rng.Next(1, 8)));
                    break;
                case 2:
                    b.AddBlock(BlockKind.ListItem, Sentence(rng, shape, rng.Next(2, 12)));
                    break;
                case 3:
                    // A long sentence without terminators.
                    b.AddBlock(BlockKind.Paragraph, Sentence(rng, shape, rng.Next(60, 300)));
                    break;
                case 4 or 5:
                    int rows = rng.Next(1, 6);
                    for (int r = 0; r < rows; r++)
                    {
                        int cells = rng.Next(2, 5);
                        var row = string.Join(" | ", Enumerable.Range(0, cells).Select(_ => Sentence(rng, shape, rng.Next(1, rng.Next(8) == 0 ? 80 : 5)).TrimEnd('.')));
                        b.AddBlock(BlockKind.TableRow, row);
                    }
                    break;
                case 6:
                    // An over-long word, sometimes with symbols or astral characters inside.
                    var w = new StringBuilder();
                    int len = rng.Next(100, 1500);
                    while (w.Length < len)
                        w.Append(rng.Next(20) switch { 0 => "😀", 1 => "/", 2 => "中", _ => Word(rng) });
                    b.AddBlock(BlockKind.Paragraph, Sentence(rng, shape, 3) + " " + w + " " + Sentence(rng, shape, 3));
                    break;
                case 7:
                    var code = new StringBuilder();
                    for (int l = rng.Next(1, 30); l > 0; l--) code.Append("    ").Append(Sentence(rng, shape, rng.Next(1, 8)).TrimEnd('.')).Append(";\n");
                    b.AddBlock(BlockKind.Code, code.ToString());
                    break;
                default:
                    var cjk = new StringBuilder();
                    for (int c = rng.Next(5, 400); c > 0; c--) cjk.Append(Cjk[rng.Next(Cjk.Length)]);
                    cjk.Append('。');
                    b.AddBlock(BlockKind.Paragraph, cjk + " " + Paragraph(rng, shape, 1));
                    break;
            }
        }
    }

    private static string Paragraph(Random rng, Shape shape, int sentences)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < sentences; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Sentence(rng, shape, rng.Next(3, 25)));
        }
        return sb.ToString();
    }

    private static string Sentence(Random rng, Shape shape, int words)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            if (i > 0) sb.Append(rng.Next(12) == 0 ? "  " : " ");
            string w = rng.Next(14) switch
            {
                0 => rng.Next(100000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                1 when !shape.Prose => Unicode[rng.Next(Unicode.Length)],
                2 when !shape.Prose => Cjk.Substring(rng.Next(Cjk.Length - 4), rng.Next(1, 4)),
                3 => "e.g.",
                4 => "3.14",
                _ => Word(rng),
            };
            if (i == 0) w = char.ToUpperInvariant(w[0]) + w[1..];
            sb.Append(w);
            if (i < words - 1 && rng.Next(10) == 0) sb.Append(',');
        }
        sb.Append(rng.Next(5) switch { 0 => "!", 1 => "?", _ => "." });
        return sb.ToString();
    }

    private static string Word(Random rng)
    {
        var sb = new StringBuilder();
        int syllables = rng.Next(1, 5);
        for (int i = 0; i < syllables; i++)
            sb.Append(Consonants[rng.Next(Consonants.Length)]).Append(Vowels[rng.Next(Vowels.Length)]);
        return sb.ToString();
    }
}
