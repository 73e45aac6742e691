using System.Text;
using System.Text.RegularExpressions;

namespace Groundwork.Ingestion.Pipeline;

/// <summary>
/// A file glob matched against '/'-separated paths relative to an ingest root: <c>*</c> matches within one
/// path segment, <c>**</c> any number of segments, <c>?</c> one character, <c>{a,b}</c> alternatives.
/// A pattern without '/' matches the file name in any folder (as .gitignore does).
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/>.</summary>
    public GlobPattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        Pattern = pattern;
        var p = pattern.Replace('\\', '/');
        if (!p.Contains('/', StringComparison.Ordinal)) p = "**/" + p;
        else if (p.StartsWith('/')) p = p[1..];
        _regex = new Regex("^" + Translate(p) + "$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>Whether the relative path (either separator) matches.</summary>
    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath.Replace('\\', '/'));

    private static string Translate(string p)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            switch (c)
            {
                case '*' when i + 1 < p.Length && p[i + 1] == '*':
                    i++;
                    if (i + 1 < p.Length && p[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                    else sb.Append(".*");
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '{':
                    int close = p.IndexOf('}', i);
                    if (close < 0) { sb.Append(Regex.Escape("{")); break; }
                    var alts = p[(i + 1)..close].Split(',').Select(a => Translate(a));
                    sb.Append("(?:").Append(string.Join('|', alts)).Append(')');
                    i = close;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }
}
