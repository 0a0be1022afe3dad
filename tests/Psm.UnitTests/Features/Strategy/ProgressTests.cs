using Psm.Web.Features.Strategy;

namespace Psm.UnitTests.Features.Strategy;

public sealed class ProgressTests
{
    [Theory]
    [InlineData(20, 40, 30, 50)]
    [InlineData(20, 40, 20, 0)]
    [InlineData(20, 40, 40, 100)]
    [InlineData(20, 40, 55, 100)] // past the target: clamped
    [InlineData(20, 40, 10, 0)] // worse than the baseline: clamped
    public void MeasuresTheWayFromBaselineToTargetUpward(double baseline, double target, double current, double expected) =>
        Assert.Equal(expected, KeyResultProgress.Of((decimal)baseline, (decimal)target, (decimal)current, BetterDirection.Up), 6);

    [Theory]
    [InlineData(8, 4, 6, 50)] // hours to resolve, going down
    [InlineData(8, 4, 4, 100)]
    [InlineData(8, 4, 9, 0)]
    [InlineData(8, 4, 2, 100)]
    public void MeasuresTheWayFromBaselineToTargetDownward(double baseline, double target, double current, double expected) =>
        Assert.Equal(expected, KeyResultProgress.Of((decimal)baseline, (decimal)target, (decimal)current, BetterDirection.Down), 6);

    [Theory]
    [InlineData(BetterDirection.Up, 50, 100)]
    [InlineData(BetterDirection.Up, 49.9, 0)]
    [InlineData(BetterDirection.Down, 49.9, 100)]
    [InlineData(BetterDirection.Down, 50.1, 0)]
    public void TreatsATargetEqualToTheBaselineAsHoldingTheLine(BetterDirection direction, double current, double expected) =>
        Assert.Equal(expected, KeyResultProgress.Of(50, 50, (decimal)current, direction));

    [Fact]
    public void HasNoProgressWithoutAValue() => Assert.Equal(0, KeyResultProgress.Of(0, 10, null, BetterDirection.Up));

    [Fact]
    public void WeighsKeyResults()
    {
        Assert.Equal(75, KeyResultProgress.Weighted([(100, 3), (0, 1)]));
        Assert.Equal(50, KeyResultProgress.Weighted([(100, 1), (0, 1), (50, 0)]));
        Assert.Null(KeyResultProgress.Weighted([]));
    }
}

public sealed class AtRiskTests
{
    private static readonly DateOnly Start = new(2026, 1, 1);
    private static readonly DateOnly End = new(2026, 12, 31);

    [Fact]
    public void IsNotAtRiskBeforeThePeriodStarts()
    {
        Assert.Equal(0, AtRisk.Elapsed(Start, End, new DateOnly(2025, 12, 1)));
        Assert.False(AtRisk.Is(0, Start, End, new DateOnly(2025, 12, 1)));
    }

    [Fact]
    public void IsAtRiskWhenProgressLagsTheTimeSpentByMoreThanTheMargin()
    {
        var midYear = new DateOnly(2026, 7, 2); // half the year gone

        Assert.Equal(0.5, AtRisk.Elapsed(Start, End, midYear), 2);
        Assert.True(AtRisk.Is(34, Start, End, midYear));
        Assert.False(AtRisk.Is(36, Start, End, midYear));
        Assert.False(AtRisk.Is(34, Start, End, midYear, marginPoints: 20));
    }

    [Fact]
    public void CountsTheWholePeriodOnceItIsOver()
    {
        var after = new DateOnly(2027, 3, 1);

        Assert.Equal(1, AtRisk.Elapsed(Start, End, after));
        Assert.True(AtRisk.Is(80, Start, End, after));
        Assert.False(AtRisk.Is(90, Start, End, after));
    }

    [Fact]
    public void IsNeverAtRiskWithoutAnEndDateOrWithoutKeyResults()
    {
        Assert.False(AtRisk.Is(0, Start, null, new DateOnly(2026, 7, 1)));
        Assert.False(AtRisk.Is(null, Start, End, new DateOnly(2026, 12, 1)));
    }
}
