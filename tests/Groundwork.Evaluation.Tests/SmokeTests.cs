namespace Groundwork.Evaluation.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Assembly_loads() => Assert.NotNull(typeof(SmokeTests).Assembly);
}
