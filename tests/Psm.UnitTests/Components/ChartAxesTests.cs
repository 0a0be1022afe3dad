using MudBlazor;
using Psm.Web.Components.Shared;

namespace Psm.UnitTests.Components;

public sealed class ChartAxesTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(4.6, 1)]
    [InlineData(9, 2)]
    [InlineData(48, 10)]
    [InlineData(730, 200)]
    [InlineData(20_480, 5_000)]
    [InlineData(1_000_000, 200_000)]
    public void TicksFallOnRoundStepsWithAtMostFiveAboveZero(double max, int step)
    {
        Assert.Equal(step, ChartAxes.Step(max));
        Assert.True(Math.Ceiling(max / step) <= 5);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(4.5, "4.5")]
    [InlineData(5_000, "5,000")]
    [InlineData(15_000, "15k")]
    [InlineData(2_500_000, "2.5M")]
    public void LabelsShortenThousandsAndMillions(double value, string label) => Assert.Equal(label, ChartAxes.Label(value));

    [Fact]
    public void AnAxisIsFittedToTheLargestValueOfEverySeries()
    {
        var options = ChartAxes.Line(
        [
            new ChartSeries<double> { Name = "a", Data = new([1.0, 3.0]) },
            new ChartSeries<double> { Name = "b", Data = new([12_000.0, 8.0]) },
        ]);

        Assert.Equal(5_000, options.YAxisTicks);
        Assert.Equal("10k", options.YAxisToStringFunc!(10_000));
    }
}
