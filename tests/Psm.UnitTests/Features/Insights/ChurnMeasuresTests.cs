using Psm.Web.Features.Insights;

namespace Psm.UnitTests.Features.Insights;

public sealed class ChurnMeasuresTests
{
    private static List<(double Score, bool Left)> Rows(params (double, bool)[] rows) => [.. rows];

    [Fact]
    public void AucIsTheChanceALeaverRanksAboveAStayerWithTiesCountedHalf()
    {
        // Perfect ranking, reversed ranking, and one tie between a leaver and a stayer.
        Assert.Equal(1, ChurnRisk.Auc(Rows((0.9, true), (0.8, true), (0.2, false), (0.1, false))));
        Assert.Equal(0, ChurnRisk.Auc(Rows((0.1, true), (0.9, false))));
        // Pairs: (0.9 vs 0.5) win, (0.9 vs 0.2) win, (0.5 vs 0.5) half, (0.5 vs 0.2) win: 3.5 of 4.
        Assert.Equal(0.875, ChurnRisk.Auc(Rows((0.9, true), (0.5, true), (0.5, false), (0.2, false))));
        // A constant score ranks nobody: 0.5.
        Assert.Equal(0.5, ChurnRisk.Auc(Rows((1, true), (1, false), (1, false))));
        Assert.Null(ChurnRisk.Auc(Rows((0.3, false), (0.2, false))));
    }

    [Fact]
    public void TopDecilePrecisionCountsABoundaryTieInProportion()
    {
        // 20 rows: the top two are leavers.
        var ranked = Enumerable.Range(0, 20).Select(i => ((double)(20 - i), i < 2)).ToList();
        Assert.Equal(1, ChurnRisk.TopDecile(ranked));
        // A rule that gives 10 of 20 rows the same high score, 4 of them leavers: the top two are 40 % leavers, whatever the order.
        var rule = Enumerable.Range(0, 20).Select(i => (i < 10 ? 1.0 : 0.0, i < 4)).ToList();
        Assert.Equal(0.4, ChurnRisk.TopDecile(rule));
        Assert.Equal(0.4, ChurnRisk.TopDecile(Enumerable.Reverse(rule).ToList()));
    }

    [Fact]
    public void TheBaselineRuleHoldsForADetractorOrTwoBreaches()
    {
        var f = new float[16];
        Assert.Equal(0, ChurnRisk.Baseline(f));
        f[0] = 1;
        f[1] = 6;
        Assert.Equal(1, ChurnRisk.Baseline(f));
        f[1] = 7;
        Assert.Equal(0, ChurnRisk.Baseline(f));
        f[6] = 2;
        Assert.Equal(1, ChurnRisk.Baseline(f));
    }

    [Fact]
    public void ADrillSummaryGivesTheSurveyMarginsForAShareAndAMean()
    {
        // 10 CSAT answers, 6 satisfied: 60 %, margin 1.96 * sqrt(0.24 / 10) * 100 = 30.36.
        var share = new DrillSummary(10, 6, null, null, null, 60, "").Estimate(RowAggregate.Share, 100)!;
        Assert.Equal(30.36, share.MarginOfError, 2);
        // NPS as a mean of +100/0/-100: 5 promoters, 3 passives, 2 detractors: mean 30, variance 0.61 (in hundreds): margin 48.41.
        var nps = new DrillSummary(10, 5, 300, 70_000, null, 30, "").Estimate(RowAggregate.Mean, 1)!;
        Assert.Equal(48.41, nps.MarginOfError, 2);
        Assert.Null(new DrillSummary(10, 0, 5, null, null, 5, "").Estimate(RowAggregate.Sum, 1));
    }
}
