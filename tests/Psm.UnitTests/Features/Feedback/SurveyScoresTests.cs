using Psm.Web.Features.Feedback;

namespace Psm.UnitTests.Features.Feedback;

public sealed class SurveyScoresTests
{
    private static Tally Of(SurveyKind kind, params int[] scores) => scores.Aggregate(default(Tally), (sum, s) => sum + Tally.Of(kind, s));

    [Fact]
    public void NpsIsPromotersMinusDetractorsWithTheMarginOfAMeanOfPlusOneZeroMinusOne()
    {
        // 10 answers: 5 promoters (9-10), 3 passives (7-8), 2 detractors (0-6). NPS = 50 - 20 = 30.
        var estimate = SurveyScores.Estimate(SurveyKind.Nps, Of(SurveyKind.Nps, 10, 10, 9, 9, 9, 8, 7, 7, 6, 0))!;
        Assert.Equal(30, estimate.Value, 9);
        // Var = 0.5 + 0.2 - 0.3² = 0.61; margin = 1.96 · sqrt(0.61 / 10) · 100 = 48.41
        Assert.Equal(48.41, estimate.MarginOfError, 2);
        Assert.Equal(10, estimate.Responses);
    }

    [Fact]
    public void NpsCountsSixAsDetractorAndNineAsPromoter()
    {
        Assert.Equal(-100, SurveyScores.Estimate(SurveyKind.Nps, Of(SurveyKind.Nps, 6, 6))!.Value);
        Assert.Equal(100, SurveyScores.Estimate(SurveyKind.Nps, Of(SurveyKind.Nps, 9, 9))!.Value);
        Assert.Equal(0, SurveyScores.Estimate(SurveyKind.Nps, Of(SurveyKind.Nps, 7, 8))!.Value);
    }

    [Fact]
    public void CsatIsTheShareOfFoursAndFivesWithABinomialMargin()
    {
        // 8 answers, 6 of them 4 or 5: 75 %. Margin = 1.96 · sqrt(0.75 · 0.25 / 8) = 30.0 points.
        var estimate = SurveyScores.Estimate(SurveyKind.Csat, Of(SurveyKind.Csat, 5, 5, 4, 4, 4, 5, 3, 1))!;
        Assert.Equal(75, estimate.Value, 9);
        Assert.Equal(30.01, estimate.MarginOfError, 2);
    }

    [Fact]
    public void CesIsTheMeanWithTheSampleStandardDeviation()
    {
        // 2, 4, 4, 4, 5, 5, 7, 9 → mean 5; sample variance 32/7; margin = 1.96 · sqrt(32/7/8) = 1.48
        var estimate = SurveyScores.Estimate(SurveyKind.Ces, Of(SurveyKind.Ces, 2, 4, 4, 4, 5, 5, 7, 9))!;
        Assert.Equal(5, estimate.Value, 9);
        Assert.Equal(1.4816, estimate.MarginOfError, 3);
    }

    [Fact]
    public void NoAnswersGiveNoScore() => Assert.Null(SurveyScores.Estimate(SurveyKind.Nps, default));

    [Fact]
    public void TalliesAddUpExactly()
    {
        var all = Of(SurveyKind.Nps, 10, 3, 8, 9);
        Assert.Equal(all, Of(SurveyKind.Nps, 10, 3) + Of(SurveyKind.Nps, 8, 9));
    }

    [Fact]
    public void AChangeIsSignificantOnlyWhenItExceedsWhatChanceExplains()
    {
        // Two CSAT periods of 400 answers: 70 % then 80 %. SE = sqrt(.7·.3/400 + .8·.2/400) = 0.0304; z = 3.29.
        var before = SurveyScores.Estimate(SurveyKind.Csat, new Tally(400, 280, 0, 0, 0));
        var after = SurveyScores.Estimate(SurveyKind.Csat, new Tally(400, 320, 0, 0, 0));
        var test = SurveyScores.Compare(before, after)!;
        Assert.Equal(10, test.Difference, 6);
        Assert.Equal(3.29, test.Z, 2);
        Assert.True(test.Significant);
        Assert.Equal(0.001, test.PValue, 3);

        // The same ten points on 20 answers each is within chance.
        var small = SurveyScores.Compare(
            SurveyScores.Estimate(SurveyKind.Csat, new Tally(20, 14, 0, 0, 0)), SurveyScores.Estimate(SurveyKind.Csat, new Tally(20, 16, 0, 0, 0)))!;
        Assert.False(small.Significant);
    }

    [Fact]
    public void NormalDistributionMatchesKnownValues()
    {
        Assert.Equal(0.5, Statistics.NormalCdf(0), 6);
        Assert.Equal(0.975, Statistics.NormalCdf(1.959964), 5);
        Assert.Equal(0.1586553, Statistics.NormalCdf(-1), 6);
    }

    [Fact]
    public void ProportionIncreaseIsOneSided()
    {
        // 30 of 200 now against 10 of 200 before: pooled p = .1, SE = sqrt(.1·.9·(2/200)) = .03, z = 3.33.
        var (z, p) = Statistics.ProportionIncrease(30, 200, 10, 200);
        Assert.Equal(3.33, z, 2);
        Assert.True(p < 0.001);
        var (down, pDown) = Statistics.ProportionIncrease(10, 200, 30, 200);
        Assert.True(down < 0);
        Assert.True(pDown > 0.99);
    }
}
