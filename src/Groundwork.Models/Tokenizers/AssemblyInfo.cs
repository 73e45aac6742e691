using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Groundwork.Models.Tests")]
