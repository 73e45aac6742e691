using System.Runtime.CompilerServices;

// The chunking tests exercise the sentence splitter and word-boundary rules directly.
[assembly: InternalsVisibleTo("Groundwork.Ingestion.Tests")]
