using System.Globalization;
using System.Text.RegularExpressions;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>Reads the citation lines of the interaction log (markers in answers are the prompt format's business: IGroundedPrompt).</summary>
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

    [GeneratedRegex(@"^\[(\d+)\] (.*) \((\d+)-(\d+)\)( UNVERIFIED: .*)?$", RegexOptions.Singleline)]
    private static partial Regex Line();
}
