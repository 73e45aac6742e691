using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Groundwork.Training.Tests")]
