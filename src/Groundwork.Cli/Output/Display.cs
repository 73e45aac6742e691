using Groundwork.Storage;

namespace Groundwork.Cli.Output;

/// <summary>Human-readable renderings shared by commands.</summary>
internal static class Display
{
    public static string Location(SearchHit hit)
    {
        var where = Path.GetRelativePath(Environment.CurrentDirectory, hit.Document.SourcePath);
        if (hit.Chunk.SectionPath.Count > 0) where += " › " + string.Join(" › ", hit.Chunk.SectionPath);
        if (hit.Chunk.PageStart is int p) where += hit.Chunk.PageEnd is int q && q != p ? $", pp. {p}–{q}" : $", p. {p}";
        return where;
    }
}
