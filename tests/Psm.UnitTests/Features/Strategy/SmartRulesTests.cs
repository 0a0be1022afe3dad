using Psm.Web.Features.Strategy;

namespace Psm.UnitTests.Features.Strategy;

public sealed class SmartRulesTests
{
    private static readonly DateOnly Today = new(2026, 3, 1);

    private static SmartObjective Good() => new(
        "Raise helpdesk customer satisfaction", "Customers on the Helpdesk plan rate support 4.5 or better after each ticket.",
        new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31), HasParent: false, LinkedProductsAndServices: 1,
        [new SmartKeyResult("CSAT", 4.1m, 4.5m, HasMetric: true, [(new DateOnly(2025, 10, 1), 3.9m), (new DateOnly(2026, 1, 1), 4.1m)])]);

    private static SmartCriterion Criterion(SmartObjective objective, string name) =>
        SmartRules.Check(objective, Today).Criteria.Single(c => c.Name == name);

    [Fact]
    public void PassesAWellFormedObjective()
    {
        var check = SmartRules.Check(Good(), Today);

        Assert.True(check.Passes);
        Assert.Equal(["Specific", "Measurable", "Achievable", "Relevant", "Time-bound"], check.Criteria.Select(c => c.Name));
    }

    [Fact]
    public void IsNotSpecificWithATerseTitleOrNoDescription()
    {
        Assert.False(Criterion(Good() with { Title = "CSAT up" }, "Specific").Passes);
        Assert.False(Criterion(Good() with { Description = "More happy." }, "Specific").Passes);
    }

    [Fact]
    public void IsNotMeasurableWithoutAKeyResultThatHasAMetric()
    {
        var none = Good() with { KeyResults = [] };

        var criterion = Criterion(none, "Measurable");

        Assert.False(criterion.Passes);
        Assert.Equal("No key result with a target: add one that names a metric, a baseline and a target.", criterion.Explanation);
    }

    [Fact]
    public void IsNotTimeBoundWithoutAnEndOrWithAnEndBeforeTheStart()
    {
        Assert.Equal("No end date.", Criterion(Good() with { End = null }, "Time-bound").Explanation);
        Assert.False(Criterion(Good() with { End = new DateOnly(2025, 12, 1) }, "Time-bound").Passes);
    }

    [Fact]
    public void IsNotRelevantWhenLinkedToNothing()
    {
        Assert.False(Criterion(Good() with { LinkedProductsAndServices = 0 }, "Relevant").Passes);
        Assert.True(Criterion(Good() with { LinkedProductsAndServices = 0, HasParent = true }, "Relevant").Passes);
    }

    [Fact]
    public void IsNotAchievableWhenTheTargetNeedsAFarFasterPaceThanHistoryShows()
    {
        // History: +0.2 over 92 days. Target: +2.0 over the 305 days left, about 3x the fastest pace seen.
        var greedy = Good() with { KeyResults = [Good().KeyResults[0] with { Target = 6.1m }] };

        var criterion = Criterion(greedy, "Achievable");

        Assert.False(criterion.Passes);
        Assert.Contains("\"CSAT\" needs", criterion.Explanation);
    }

    [Fact]
    public void JudgesNoPaceWithoutHistory()
    {
        var fresh = Good() with { KeyResults = [Good().KeyResults[0] with { History = [] , Target = 100m }] };

        Assert.True(Criterion(fresh, "Achievable").Passes);
    }

    [Fact]
    public void JudgesNoPaceFromReadingsTakenOnOneDay()
    {
        var sameDay = Good() with
        {
            KeyResults = [Good().KeyResults[0] with { Target = 100m, History = [(Today, 4.0m), (Today, 4.25m), (Today, 4.4m)] }],
        };

        Assert.True(Criterion(sameDay, "Achievable").Passes);
    }
}
