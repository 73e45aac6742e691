using System.Globalization;
using System.Text.RegularExpressions;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>Reads the citation lines of the interaction log and the [n] markers of logged answers.</summary>
internal static partial class LogCitation
{
    /// <summary>Parses "[n] location (start-end)" with an optional " UNVERIFIED: problem" (as InteractionRecords writes them).</summary>
    public static (int Number, string Location, int Start, int End, bool Unverified)? Parse(string line)
    {
        var m = Line().Match(line);
        if (!m.Success) return null;
        return (int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture), m.Groups[2].Value,
            int.Parse(m.Groups[3].ValueSpan, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].ValueSpan, CultureInfo.InvariantCulture), m.Groups[5].Success);
    }

    /// <summary>Every number inside [n], [n, m] or [n; m] markers, in order.</summary>
    public static List<int> MarkerNumbers(string text) =>
        Marker().Matches(text).SelectMany(m => Number().Matches(m.Value)).Select(n => int.Parse(n.ValueSpan, CultureInfo.InvariantCulture)).ToList();

    /// <summary>Rewrites the numbers inside markers through <paramref name="map"/>.</summary>
    public static string Renumber(string text, Func<int, int> map) =>
        Marker().Replace(text, m => Number().Replace(m.Value, n => map(int.Parse(n.ValueSpan, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^\[(\d+)\] (.*) \((\d+)-(\d+)\)( UNVERIFIED: .*)?$", RegexOptions.Singleline)]
    private static partial Regex Line();

    [GeneratedRegex(@"\[(\d+(?:\s*[,;]\s*\d+)*)\]")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();
}
