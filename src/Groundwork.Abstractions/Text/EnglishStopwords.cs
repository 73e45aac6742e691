using System.Collections.Frozen;

namespace Groundwork.Text;

/// <summary>
/// Common English function words. Dropped from queries (never from indexes): they carry no topic, and
/// matching them costs time (measured on SciFact: about twice the queries/s at the same nDCG@10).
/// </summary>
public static class EnglishStopwords
{
    private static readonly FrozenSet<string> Words = new[]
    {
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
        "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has",
        "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
        "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now",
        "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
        "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
        "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
        "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
        "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "s", "t", "don",
        "shall", "may", "might", "must", "also", "get", "got", "many", "much", "tell",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="lowerCaseWord"/> is a stopword (the word must be lower case).</summary>
    public static bool Contains(string lowerCaseWord) => Words.Contains(lowerCaseWord);

    /// <summary>Whether the lower-case word in <paramref name="lowerCaseWord"/> is a stopword.</summary>
    public static bool Contains(ReadOnlySpan<char> lowerCaseWord) => Words.GetAlternateLookup<ReadOnlySpan<char>>().Contains(lowerCaseWord);
}
