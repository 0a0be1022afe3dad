using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;

namespace Psm.UnitTests.Features.Campaigns;

public sealed class CampaignFitTests
{
    private static readonly DateOnly Start = new(2026, 6, 1);

    [Theory]
    [InlineData(LifecycleStage.Introduction, CampaignGoal.Awareness, FitLevel.Ok)]
    [InlineData(LifecycleStage.Introduction, CampaignGoal.Acquisition, FitLevel.Warning)]
    [InlineData(LifecycleStage.Introduction, CampaignGoal.Retention, FitLevel.Warning)]
    [InlineData(LifecycleStage.Introduction, CampaignGoal.WinBack, FitLevel.Problem)]
    [InlineData(LifecycleStage.Growth, CampaignGoal.Acquisition, FitLevel.Ok)]
    [InlineData(LifecycleStage.Growth, CampaignGoal.Expansion, FitLevel.Ok)]
    [InlineData(LifecycleStage.Growth, CampaignGoal.WinBack, FitLevel.Warning)]
    [InlineData(LifecycleStage.Maturity, CampaignGoal.Retention, FitLevel.Ok)]
    [InlineData(LifecycleStage.Maturity, CampaignGoal.WinBack, FitLevel.Ok)]
    [InlineData(LifecycleStage.Maturity, CampaignGoal.Acquisition, FitLevel.Warning)]
    [InlineData(LifecycleStage.Decline, CampaignGoal.Acquisition, FitLevel.Problem)]
    [InlineData(LifecycleStage.Decline, CampaignGoal.Awareness, FitLevel.Problem)]
    [InlineData(LifecycleStage.Decline, CampaignGoal.Retention, FitLevel.Ok)]
    [InlineData(LifecycleStage.Decline, CampaignGoal.Expansion, FitLevel.Warning)]
    [InlineData(LifecycleStage.Retired, CampaignGoal.Retention, FitLevel.Problem)]
    public void GoalsSuitSomeStagesAndNotOthers(LifecycleStage stage, CampaignGoal goal, FitLevel expected)
    {
        var check = CampaignFit.GoalForStage(goal, stage);
        Assert.Equal(expected, check.Level);
        Assert.Equal(FitArea.Stage, check.Area);
        Assert.False(string.IsNullOrWhiteSpace(check.Reason));
    }

    [Fact]
    public void EveryPromiseIsJudgedAgainstTheCampaignStart()
    {
        PromisedFeature Feature(string name, InitiativeStatus status, DateOnly? end, DateOnly? released = null) =>
            new(Guid.NewGuid(), name, status, end, released);
        var checks = CampaignFit.Promises(
        [
            Feature("Shipped", InitiativeStatus.Released, Start.AddDays(-40), Start.AddDays(-35)),
            Feature("Measured", InitiativeStatus.Measuring, null, Start.AddDays(-90)),
            Feature("Dropped", InitiativeStatus.Dropped, Start.AddDays(-10)),
            Feature("Undated", InitiativeStatus.Backlog, null),
            Feature("Same day", InitiativeStatus.InProgress, Start),
            Feature("Later", InitiativeStatus.Planned, Start.AddDays(30)),
            Feature("Just in time", InitiativeStatus.InProgress, Start.AddDays(-1)),
        ], Start).ToList();
        FitLevel Level(string name) => checks.Single(c => c.Title.StartsWith(name + " ", StringComparison.Ordinal)).Level;

        Assert.Equal(FitLevel.Ok, Level("Shipped"));
        Assert.Equal(FitLevel.Ok, Level("Measured"));
        Assert.Equal(FitLevel.Problem, Level("Dropped"));
        Assert.Equal(FitLevel.Problem, Level("Undated"));
        Assert.Equal(FitLevel.Problem, Level("Same day")); // finishing on the start day is too late to promote
        Assert.Equal(FitLevel.Problem, Level("Later"));
        Assert.Equal(FitLevel.Warning, Level("Just in time"));
        Assert.Equal(FitLevel.Ok, Assert.Single(CampaignFit.Promises([], Start)).Level);
    }

    [Fact]
    public void AMessageThatStressesAComplaintIsFlaggedAndOnePraisedIsNot()
    {
        var complaint = CampaignFit.Message([new ThemeSignal("Mobile app", 40, -0.6, InMessage: true), new ThemeSignal("Billing", 90, -0.8, InMessage: false)]);
        Assert.Equal(FitLevel.Warning, complaint.Level);
        Assert.Contains("'Mobile app' (40 mentions, average sentiment -0.60)", complaint.Reason);
        Assert.DoesNotContain("Billing", complaint.Reason);

        var praised = CampaignFit.Message([new ThemeSignal("Reporting", 12, 0.5, InMessage: true)]);
        Assert.Equal(FitLevel.Ok, praised.Level);
        Assert.Contains("Reporting", praised.Reason);

        // Just above the complaint line is not a complaint.
        Assert.Equal(FitLevel.Ok, CampaignFit.Message([new ThemeSignal("Onboarding", 5, CampaignFit.ComplaintSentiment, InMessage: true)]).Level);

        var untouched = CampaignFit.Message([new ThemeSignal("A", 3, -1, false), new ThemeSignal("B", 9, 0, false), new ThemeSignal("C", 5, 0, false), new ThemeSignal("D", 1, 0, false)]);
        Assert.Equal("What customers raise most: 'B' (9), 'C' (5), 'A' (3).", untouched.Reason);
    }

    [Theory]
    [InlineData(10, 6, 4, FitLevel.Ok)]
    [InlineData(10, 5, 5, FitLevel.Warning)] // half left out is "mostly without consent"
    [InlineData(10, 2, 8, FitLevel.Warning)]
    [InlineData(0, 0, 0, FitLevel.Problem)]
    public void TheAudienceWarnsWhenHalfOrMoreAreLeftOut(int matched, int audience, int leftOut, FitLevel expected)
    {
        var check = CampaignFit.Audience(new AudienceCount(matched, audience, leftOut, audience), targetsSegment: true);
        Assert.Equal(expected, check.Level);
        if (matched > 0)
        {
            Assert.Contains($"{audience} of {matched} customers", check.Reason);
        }
    }

    [Fact]
    public void AStageChangeSincePlanningIsReported()
    {
        var checks = CampaignFit.Check(new FitInput(CampaignGoal.Acquisition, LifecycleStage.Growth, LifecycleStage.Decline, Start, [], [],
            new AudienceCount(10, 8, 2, 8), TargetsSegment: false));
        Assert.Equal(FitLevel.Problem, checks[0].Level); // judged on today's stage
        Assert.Contains(checks, c => c.Title == "The product changed stage since planning" && c.Reason.Contains("Growth") && c.Reason.Contains("Decline"));
        Assert.Equal([FitArea.Stage, FitArea.Stage, FitArea.Promises, FitArea.Message, FitArea.Audience], checks.Select(c => c.Area));
    }

    [Fact]
    public void RatesAreComputedFromTotalsAndNullWithoutADenominator()
    {
        var totals = new ResultTotals(Impressions: 8_000, Engagements: 400, Conversions: 20, Spend: 1_000m, Revenue: 3_500m);
        Assert.Equal(5.0, totals.EngagementRate);
        Assert.Equal(5.0, totals.ConversionRate);
        Assert.Equal(50m, totals.CostPerAcquisition);
        Assert.Equal(3.5, totals.ReturnOnSpend);

        Assert.Null(ResultTotals.Zero.EngagementRate);
        Assert.Null(ResultTotals.Zero.ConversionRate);
        Assert.Null(ResultTotals.Zero.CostPerAcquisition);
        Assert.Null(ResultTotals.Zero.ReturnOnSpend);
        Assert.Equal(new ResultTotals(8_001, 401, 21, 1_001m, 3_501m), totals.Add(new ResultTotals(1, 1, 1, 1, 1)));
        Assert.Equal(33.33m, new ResultTotals(100, 10, 3, 100m, 0).CostPerAcquisition);
    }

    [Fact]
    public void UnderperformanceIsFlaggedBelowThreeQuartersOfTypicalWithEnoughData()
    {
        var typical = new ResultTotals(10_000, 1_000, 100, 0, 0); // 10 % engagement, 10 % conversion
        var poor = new ResultTotals(4_000, 200, 20, 0, 0); // 5 % engagement, 10 % conversion
        var flags = Underperformance.Assess(poor, typical, new Dictionary<CampaignChannel, (ResultTotals, ResultTotals)>
        {
            [CampaignChannel.Email] = (new ResultTotals(2_000, 160, 4, 0, 0), new ResultTotals(5_000, 500, 60, 0, 0)), // 8 % vs 10 % ok; 2.5 % vs 12 % flagged
            [CampaignChannel.Social] = (new ResultTotals(999, 0, 0, 0, 0), typical), // too little to judge
        });
        Assert.Equal(2, flags.Count);
        Assert.Equal(("Engagement rate", "for this product", 5.0, 10.0), (flags[0].Rate, flags[0].Scope, flags[0].Value, flags[0].Typical));
        Assert.Equal(("Conversion rate", "on Email", 2.5, 12.0), (flags[1].Rate, flags[1].Scope, flags[1].Value, flags[1].Typical));

        // Exactly three quarters of typical is not flagged.
        Assert.Empty(Underperformance.Assess(new ResultTotals(4_000, 300, 30, 0, 0), typical, new Dictionary<CampaignChannel, (ResultTotals, ResultTotals)>()));
        // Nothing to compare with, nothing flagged.
        Assert.Empty(Underperformance.Assess(poor, ResultTotals.Zero, new Dictionary<CampaignChannel, (ResultTotals, ResultTotals)>()));
    }

    [Fact]
    public void ACampaignAtOrAboveEveryTargetIsNeverFlagged()
    {
        var typical = new ResultTotals(10_000, 1_000, 100, 0, 0);
        var poorRatesButOnTarget = new ResultTotals(40_000, 800, 70, 1_000m, 7_000m);
        var none = new Dictionary<CampaignChannel, (ResultTotals, ResultTotals)>();
        Assert.NotEmpty(Underperformance.Assess(poorRatesButOnTarget, typical, none));
        Assert.True(Underperformance.TargetsMet(poorRatesButOnTarget, 10, 1_000m)); // 700 % of both targets
        Assert.Empty(Underperformance.Assess(poorRatesButOnTarget, typical, none, Underperformance.TargetsMet(poorRatesButOnTarget, 10, 1_000m)));
        Assert.True(Underperformance.TargetsMet(poorRatesButOnTarget, 70, null));   // exactly on target
        Assert.False(Underperformance.TargetsMet(poorRatesButOnTarget, 71, null));
        Assert.False(Underperformance.TargetsMet(poorRatesButOnTarget, 10, 7_001m)); // one target short
        Assert.False(Underperformance.TargetsMet(poorRatesButOnTarget, null, null)); // no target: judged on its rates
    }

    [Fact]
    public void ResultsThatCannotBeTrueAreCalledOut()
    {
        ConsistencyFacts Facts(CampaignGoal goal, long conversions, decimal revenue, string first, string last, decimal productRevenue, int reachable) =>
            new(goal, new DateOnly(2026, 9, 1), new DateOnly(2026, 9, 30), new ResultTotals(50_000, 2_000, conversions, 5_000m, revenue),
                DateOnly.Parse(first), DateOnly.Parse(last), productRevenue, "EUR", reachable);

        // The campaign: 1 496 conversions and 598 830 of revenue from 27 reachable customers, against 57 995 of orders.
        var impossible = CampaignConsistency.Check(Facts(CampaignGoal.Retention, 1_496, 598_830m, "2026-08-25", "2026-10-02", 57_995m, 27));
        Assert.Equal(["Revenue", "Conversions", "Dates"], impossible.Select(w => w.Check));
        Assert.Contains("57,995", impossible[0].Reason);
        Assert.Contains("only 27", impossible[1].Reason);

        // Plausible: within the product's revenue, the audience and the campaign's days. An acquisition campaign may convert
        // more people than the existing customers it could reach.
        Assert.Empty(CampaignConsistency.Check(Facts(CampaignGoal.Retention, 20, 40_000m, "2026-09-01", "2026-09-30", 57_995m, 27)));
        Assert.Empty(CampaignConsistency.Check(Facts(CampaignGoal.Acquisition, 300, 40_000m, "2026-09-01", "2026-09-30", 57_995m, 27)));
    }
}
