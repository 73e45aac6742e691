using System.Runtime.CompilerServices;

// The extraction tests call internal helpers (page assembly, layout cells, encoding sniffing).
[assembly: InternalsVisibleTo("Groundwork.Ingestion.Tests")]
