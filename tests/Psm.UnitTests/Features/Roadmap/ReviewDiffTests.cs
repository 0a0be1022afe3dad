using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;

namespace Psm.UnitTests.Features.Roadmap;

public sealed class ReviewDiffTests
{
    private static readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), C = Guid.NewGuid(), D = Guid.NewGuid(), E = Guid.NewGuid();
    private static readonly Guid O1 = Guid.NewGuid(), O2 = Guid.NewGuid();
    private static readonly DateOnly Jan = new(2026, 1, 1);

    private static SnapshotRow Row(Guid id, string title, InitiativeStatus status = InitiativeStatus.Planned, int shift = 0, decimal? rice = 10,
        Moscow? moscow = Moscow.Should, int? rank = 1, params Guid[] objectives) =>
        new(id, title, status, Jan.AddDays(shift), Jan.AddDays(shift + 30), rice, moscow, 50, rank, objectives);

    [Fact]
    public void ListsWhatWasAddedDroppedMovedRescoredAndReprioritised()
    {
        var before = new[]
        {
            Row(A, "Alpha", objectives: O1), Row(B, "Beta", rank: 2), Row(C, "Gamma"), Row(D, "Delta"),
        };
        var after = new[]
        {
            Row(A, "Alpha", shift: 14, objectives: O1),           // moved
            Row(B, "Beta", rice: 20, moscow: Moscow.Must, rank: 1), // re-scored and re-prioritised
            Row(C, "Gamma", InitiativeStatus.Dropped),            // dropped
            Row(E, "Epsilon"),                                    // added; Delta is gone altogether
        };

        var diff = ReviewDiff.Compare(before, after);

        Assert.Equal(["Epsilon"], diff.Added.Select(c => c.Title));
        Assert.Equal(["Gamma", "Delta"], diff.Dropped.Select(c => c.Title));
        var moved = Assert.Single(diff.Moved);
        Assert.Equal(("2026-01-01 to 2026-01-31", "2026-01-15 to 2026-02-14"), (moved.Before, moved.After));
        Assert.Equal([("Beta", "RICE", "10", "20")], diff.Rescored.Select(c => (c.Title, c.What, c.Before, c.After)));
        Assert.Equal([("MoSCoW", "Should", "Must"), ("rank", "#2", "#1")], diff.Reprioritised.Select(c => (c.What, c.Before, c.After)));
        Assert.Empty(diff.StatusChanged);
        Assert.Empty(diff.ObjectivesChanged);
        Assert.Equal(7, diff.Count);
    }

    [Fact]
    public void NoticesStatusAndObjectiveChangesAndNothingElseWhenNothingChanged()
    {
        var before = new[] { Row(A, "Alpha", objectives: O1) };
        Assert.Equal(0, ReviewDiff.Compare(before, before).Count);

        var after = new[] { Row(A, "Alpha", InitiativeStatus.InProgress, objectives: [O1, O2]) };
        var diff = ReviewDiff.Compare(before, after);
        Assert.Equal(("Planned", "InProgress"), (diff.StatusChanged.Single().Before, diff.StatusChanged.Single().After));
        Assert.Equal("2 linked", diff.ObjectivesChanged.Single().After);
    }

    [Fact]
    public void RanksByRiceAmongInitiativesStillInPlay()
    {
        var ranks = ReviewDiff.Ranks([(A, InitiativeStatus.Planned, 5m), (B, InitiativeStatus.InProgress, 50m), (C, InitiativeStatus.Done, 500m),
            (D, InitiativeStatus.Backlog, null)]);
        Assert.Equal(1, ranks[B]);
        Assert.Equal(2, ranks[A]);
        Assert.False(ranks.ContainsKey(C));
        Assert.False(ranks.ContainsKey(D));
    }
}

public sealed class TimelineRulesTests
{
    private static readonly DateOnly Today = new(2026, 6, 15);

    [Theory]
    [InlineData(InitiativeStatus.InProgress, "2026-06-14", null, true)]   // past its end, still going
    [InlineData(InitiativeStatus.InProgress, "2026-06-15", null, false)]  // ends today
    [InlineData(InitiativeStatus.Released, "2026-06-01", "2026-06-10", true)]  // released late
    [InlineData(InitiativeStatus.Released, "2026-06-01", "2026-06-01", false)] // released on time
    [InlineData(InitiativeStatus.Dropped, "2026-01-01", null, false)]
    public void FlagsOverruns(InitiativeStatus status, string end, string? released, bool expected) =>
        Assert.Equal(expected, TimelineRules.Overruns(status, DateOnly.Parse(end), released is null ? null : DateOnly.Parse(released), Today));

    [Fact]
    public void FlagsAStartBeforeADependencyEnds()
    {
        Assert.True(TimelineRules.StartsBeforeDependency(new(2026, 3, 1), [new DateOnly(2026, 3, 10), null]));
        Assert.False(TimelineRules.StartsBeforeDependency(new(2026, 3, 10), [new DateOnly(2026, 3, 10)]));
        Assert.False(TimelineRules.StartsBeforeDependency(new(2026, 3, 1), [null]));
    }
}

public sealed class EffortMixTests
{
    [Fact]
    public void SplitsEachInitiativesEffortAcrossItsObjectivesTypesAndComparesWithTheWeights()
    {
        var rows = EffortMix.Of(
        [
            (6m, [ObjectiveType.Financial]),
            (4m, [ObjectiveType.Financial, ObjectiveType.CustomerSatisfaction]),
            (10m, []),   // serves nothing active: not part of the mix
            (null, [ObjectiveType.MarketPositioning]), // no estimate
        ], new Dictionary<ObjectiveType, decimal> { [ObjectiveType.Financial] = 50, [ObjectiveType.CustomerSatisfaction] = 50 });

        var financial = rows.Single(r => r.Type == ObjectiveType.Financial);
        Assert.Equal(8m, financial.Effort);
        Assert.Equal(80, financial.ActualPercent);
        Assert.Equal(30, financial.GapPoints);
        Assert.True(financial.OffTarget);
        var satisfaction = rows.Single(r => r.Type == ObjectiveType.CustomerSatisfaction);
        Assert.Equal(20, satisfaction.ActualPercent);
        Assert.Equal(-30, satisfaction.GapPoints);
        var market = rows.Single(r => r.Type == ObjectiveType.MarketPositioning);
        Assert.Null(market.TargetPercent);
        Assert.False(market.OffTarget);
    }

    [Fact]
    public void WeightsMustAddUpToAHundred()
    {
        Assert.Single(EffortMix.Problems(new TypeWeightsInput { Weights = new() { [ObjectiveType.Financial] = 60, [ObjectiveType.CustomerSatisfaction] = 30 } }));
        Assert.Empty(EffortMix.Problems(new TypeWeightsInput { Weights = new() { [ObjectiveType.Financial] = 70, [ObjectiveType.CustomerSatisfaction] = 30 } }));
        Assert.Single(EffortMix.Problems(new TypeWeightsInput { Weights = new() { [ObjectiveType.Financial] = 120, [ObjectiveType.CustomerSatisfaction] = -20 } }));
    }
}
