using Groundwork.Evaluation.Datasets;
using Groundwork.Evaluation.Retrieval;

namespace Groundwork.Evaluation.Tests.Retrieval;

public sealed class EvidenceRecallTests
{
    private static readonly RetrievedEvidence[] Retrieved =
    [
        new("/docs/2023 Q3 AAPL.pdf", 4, 5),
        new("other.pdf", 1),
        new("2023 q1 aapl.PDF", 10, 10),
        new("notes.md"),
    ];

    [Fact]
    public void Page_recall_counts_gold_pages_inside_a_top_k_page_range()
    {
        EvidencePage[] gold = [new("2023 Q3 AAPL.pdf", 5), new("2023 Q1 AAPL.pdf", 10), new("2023 Q3 AAPL.pdf", 6), new("2023 Q3 AAPL.pdf", 5)];

        Assert.Equal(1.0 / 3, EvidenceRecall.PageRecall(Retrieved, gold, 1)); // duplicates count once: 3 gold pages
        Assert.Equal(1.0 / 3, EvidenceRecall.PageRecall(Retrieved, gold, 2));
        Assert.Equal(2.0 / 3, EvidenceRecall.PageRecall(Retrieved, gold, 3));
        Assert.Equal(2.0 / 3, EvidenceRecall.PageRecall(Retrieved, gold, 100));
        Assert.Null(EvidenceRecall.PageRecall(Retrieved, [], 3));
        Assert.Equal(0.0, EvidenceRecall.PageRecall([], gold, 3));
    }

    [Fact]
    public void Document_recall_matches_file_names_without_case()
    {
        string[] gold = ["2023 Q3 AAPL.pdf", "2023 Q1 AAPL.pdf", "notes.md", "missing.pdf"];

        Assert.Equal(0.25, EvidenceRecall.DocumentRecall(Retrieved, gold, 1));
        Assert.Equal(0.5, EvidenceRecall.DocumentRecall(Retrieved, gold, 3));
        Assert.Equal(0.75, EvidenceRecall.DocumentRecall(Retrieved, gold, 4));
        Assert.Null(EvidenceRecall.DocumentRecall(Retrieved, [], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvidenceRecall.DocumentRecall(Retrieved, gold, 0));
        Assert.False(EvidenceRecall.SameDocument("a/x.pdf", "b/y.pdf"));
    }
}
