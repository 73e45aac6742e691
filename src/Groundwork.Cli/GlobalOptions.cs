using System.CommandLine;
using Groundwork.Hosting;

namespace Groundwork.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Store = new("--store")
    {
        Description = "Store directory (one SQLite file per collection)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GROUNDWORK_STORE") ?? ".groundwork",
        Recursive = true,
    };

    public static readonly Option<string> Collection = new("--collection", "-c")
    {
        Description = "Collection name",
        DefaultValueFactory = _ => "default",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write machine-readable JSON to standard output",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show stack traces on errors",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Store, Collection, Json, Verbose];

    public static GroundworkOptions ToOptions(ParseResult result) => new()
    {
        StoreDirectory = result.GetValue(Store) ?? ".groundwork",
        Collection = result.GetValue(Collection) ?? "default",
    };
}
