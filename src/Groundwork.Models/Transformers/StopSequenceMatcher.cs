using System.Text;

namespace Groundwork.Models.Transformers;

/// <summary>
/// Finds stop sequences in streamed text that may span pieces: text that could still be the start of a stop sequence
/// is held back until it is ruled out, and text from a stop sequence on is never released.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _held = new();

    /// <summary>Creates a matcher; empty strings are ignored.</summary>
    public StopSequenceMatcher(IEnumerable<string> stopSequences)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        _stops = stopSequences.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Whether a stop sequence was found.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop sequence found, or null.</summary>
    public string? Matched { get; private set; }

    /// <summary>Adds a piece of text and returns the text that is safe to release now (before any stop sequence).</summary>
    public string Push(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Stopped) return "";
        if (_stops.Length == 0) return piece;
        _held.Append(piece);
        var text = _held.ToString();
        int first = -1;
        foreach (var s in _stops)
        {
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first))
            {
                first = i;
                Matched = s;
            }
        }

        if (first >= 0)
        {
            Stopped = true;
            _held.Clear();
            return text[..first];
        }

        int hold = 0;
        foreach (var s in _stops)
        {
            for (int k = Math.Min(s.Length - 1, text.Length); k > hold; k--)
            {
                if (text.AsSpan(text.Length - k).SequenceEqual(s.AsSpan(0, k)))
                {
                    hold = k;
                    break;
                }
            }
        }

        _held.Clear().Append(text, text.Length - hold, hold);
        return text[..^hold];
    }

    /// <summary>Releases held-back text at the end of generation (nothing when a stop sequence was found).</summary>
    public string Flush()
    {
        if (Stopped) return "";
        var rest = _held.ToString();
        _held.Clear();
        return rest;
    }
}
