using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Groundwork.Numerics.Tests")]
[assembly: InternalsVisibleTo("kernel-bench")]
