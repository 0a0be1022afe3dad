using Psm.Web.Features.Roadmap;

namespace Psm.UnitTests.Features.Roadmap;

public sealed class RiceTests
{
    [Fact]
    public void ScoresReachTimesImpactTimesConfidenceOverEffort() =>
        Assert.Equal(400m, Rice.Score(reach: 1000, impact: 2, confidencePercent: 80, effort: 4));

    [Fact]
    public void ReportsEachInputOutOfRange()
    {
        var problems = Rice.Problems(reach: -1, impact: 1.5m, confidencePercent: 140, effort: 0);

        Assert.Equal(["confidence", "effort", "impact", "reach"], problems.Keys.Order());
        Assert.Throws<ArgumentException>(() => Rice.Score(10, 1, 50, 0));
    }

    [Fact]
    public void AllowsZeroReachAndZeroConfidence()
    {
        Assert.Equal(0m, Rice.Score(0, 3, 100, 1));
        Assert.Equal(0m, Rice.Score(500, 3, 0, 1));
    }
}

public sealed class WeightedScoreTests
{
    [Fact]
    public void MapsAllOnesToZeroAndAllFivesToOneHundred()
    {
        Assert.Equal(0m, WeightedScore.Of([(1, 1), (2, 1)]));
        Assert.Equal(100m, WeightedScore.Of([(1, 5), (2, 5)]));
    }

    [Fact]
    public void WeighsTheCriteria() =>
        // (3 x 1.0 + 1 x 0.0) / 4 = 75 %
        Assert.Equal(75m, WeightedScore.Of([(3, 5), (1, 1)]));

    [Fact]
    public void HasNoScoreWithoutWeightedCriteria() => Assert.Null(WeightedScore.Of([(0, 5)]));
}

public sealed class DisagreementTests
{
    private static Disagreements.Scored S(int n, decimal? rice, Moscow? moscow, decimal? weighted = null) =>
        new(new Guid(n, 0, 0, new byte[8]), rice, moscow, weighted);

    [Fact]
    public void FlagsAMustWithABottomQuartileRiceScore()
    {
        var items = new[] { S(1, 5, Moscow.Must), S(2, 50, Moscow.Could), S(3, 80, Moscow.Should), S(4, 120, Moscow.Wont) };

        var found = Disagreements.Find(items);

        Assert.Equal(["A Must with a bottom-quartile RICE score."], found[items[0].Id]);
        Assert.Equal(["Won't this time, yet a top-quartile RICE score."], found[items[3].Id]);
        Assert.Empty(found[items[1].Id]);
    }

    [Fact]
    public void SaysNothingWithTooFewScores()
    {
        var items = new[] { S(1, 5, Moscow.Must), S(2, 500, Moscow.Wont) };

        Assert.All(Disagreements.Find(items).Values, Assert.Empty);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(6, 3)]
    [InlineData(8, 4)]
    public void PlacesScoresInQuartiles(int value, int quartile) =>
        Assert.Equal(quartile, Disagreements.Quartile([1, 2, 3, 4, 5, 6, 7, 8], value));
}

public sealed class DependencyGraphTests
{
    private static readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), C = Guid.NewGuid();

    [Fact]
    public void FindsTheCycleANewDependencyWouldClose()
    {
        // A waits on B, B waits on C: C waiting on A closes the loop.
        var cycle = DependencyGraph.CycleIfAdded([(A, B), (B, C)], C, A);

        Assert.Equal([C, A, B, C], cycle);
    }

    [Fact]
    public void AcceptsADependencyThatClosesNoLoop()
    {
        Assert.Null(DependencyGraph.CycleIfAdded([(A, B)], A, C));
        Assert.Null(DependencyGraph.CycleIfAdded([(A, B), (A, C)], B, C));
    }

    [Fact]
    public void RefusesAnInitiativeWaitingOnItself() => Assert.NotNull(DependencyGraph.CycleIfAdded([], A, A));
}

public sealed class AlignmentScoreTests
{
    [Fact]
    public void WeighsInitiativesByEffort()
    {
        var result = AlignmentScore.Of([(6m, true), (2m, false)]);

        Assert.Equal(75, result.Percent);
        Assert.Equal(6m, result.AlignedEffort);
        Assert.Equal(8m, result.TotalEffort);
    }

    [Fact]
    public void CountsUnestimatedInitiativesApartInsteadOfGuessing()
    {
        var result = AlignmentScore.Of([(4m, true), (null, false), (0m, false)]);

        Assert.Equal(100, result.Percent);
        Assert.Equal(2, result.Unestimated);
    }

    [Fact]
    public void HasNoScoreWithoutEstimatedActiveWork() => Assert.Null(AlignmentScore.Of([(null, true)]).Percent);
}
