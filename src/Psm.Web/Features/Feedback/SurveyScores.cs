namespace Psm.Web.Features.Feedback;

/// <summary>
/// The additive counts a survey score is computed from. The database sums them (per day, per
/// segment, ...); adding two tallies gives the tally of the union, so roll-ups are exact.
/// </summary>
public readonly record struct Tally(long N, long High, long Low, long Sum, long SumOfSquares)
{
    public static Tally operator +(Tally a, Tally b) =>
        new(a.N + b.N, a.High + b.High, a.Low + b.Low, a.Sum + b.Sum, a.SumOfSquares + b.SumOfSquares);

    /// <summary>One answer, counted as the database counts it.</summary>
    public static Tally Of(SurveyKind kind, int score) =>
        new(1, score >= SurveyScores.HighFrom(kind) ? 1 : 0, score <= SurveyScores.LowTo(kind) ? 1 : 0, score, (long)score * score);
}

/// <summary>A score with its 95 % margin of error (same unit as the score).</summary>
public sealed record ScoreEstimate(double Value, double MarginOfError, long Responses)
{
    public double StandardError => MarginOfError / SurveyScores.Z95;
}

/// <summary>Whether a change between two periods is larger than chance would explain.</summary>
public sealed record ChangeTest(double Difference, double Z, double PValue, bool Significant);

/// <summary>
/// NPS, CSAT and CES with their margins of error at 95 %, and the test for a change between periods.
/// NPS = % promoters (9-10) - % detractors (0-6); each answer counts +100, 0 or -100, so its margin
/// is 1.96 x the standard error of that mean. CSAT = % of answers 4-5, with the binomial margin.
/// CES = the mean score, with 1.96 x s / sqrt(n). A change is significant when the two-sided
/// z-test on the difference (independent samples) gives p &lt; 0.05.
/// </summary>
public static class SurveyScores
{
    public const double Z95 = 1.959964;

    /// <summary>Lowest score that counts as a promoter (NPS) or satisfied (CSAT); CES keeps it for its top box.</summary>
    public static int HighFrom(SurveyKind kind) => kind switch { SurveyKind.Nps => 9, SurveyKind.Csat => 4, _ => 6 };

    /// <summary>Highest score that counts as a detractor (NPS) or dissatisfied.</summary>
    public static int LowTo(SurveyKind kind) => kind switch { SurveyKind.Nps => 6, SurveyKind.Csat => 2, _ => 2 };

    public static ScoreEstimate? Estimate(SurveyKind kind, Tally t)
    {
        if (t.N == 0)
        {
            return null;
        }

        double n = t.N;
        switch (kind)
        {
            case SurveyKind.Nps:
            {
                var promoters = t.High / n;
                var detractors = t.Low / n;
                var mean = promoters - detractors;
                var variance = promoters + detractors - (mean * mean);
                return new ScoreEstimate(mean * 100, Z95 * Math.Sqrt(Math.Max(variance, 0) / n) * 100, t.N);
            }

            case SurveyKind.Csat:
            {
                var p = t.High / n;
                return new ScoreEstimate(p * 100, Z95 * Math.Sqrt(p * (1 - p) / n) * 100, t.N);
            }

            default:
            {
                var mean = t.Sum / n;
                var variance = t.N > 1 ? (t.SumOfSquares - (t.Sum * mean)) / (n - 1) : 0;
                return new ScoreEstimate(mean, Z95 * Math.Sqrt(Math.Max(variance, 0) / n), t.N);
            }
        }
    }

    /// <summary>Tests the change from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public static ChangeTest? Compare(ScoreEstimate? before, ScoreEstimate? after)
    {
        if (before is null || after is null)
        {
            return null;
        }

        var difference = after.Value - before.Value;
        var se = Math.Sqrt((before.StandardError * before.StandardError) + (after.StandardError * after.StandardError));
        if (se == 0)
        {
            return new ChangeTest(difference, 0, difference == 0 ? 1 : 0, difference != 0);
        }

        var z = difference / se;
        var p = 2 * (1 - Statistics.NormalCdf(Math.Abs(z)));
        return new ChangeTest(difference, z, p, p < 0.05);
    }
}

public static class Statistics
{
    /// <summary>The standard normal distribution function, from the error function.</summary>
    public static double NormalCdf(double z) => 0.5 * (1 + Erf(z / Math.Sqrt(2)));

    /// <summary>Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, ample for a 5 % test.</summary>
    public static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1 / (1 + (0.3275911 * x));
        var poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        return sign * (1 - (poly * Math.Exp(-x * x)));
    }

    /// <summary>
    /// Two-proportion z-test: is <paramref name="hits"/> of <paramref name="total"/> now a larger
    /// share than <paramref name="previousHits"/> of <paramref name="previousTotal"/> before? One-sided.
    /// </summary>
    public static (double Z, double PValue) ProportionIncrease(long hits, long total, long previousHits, long previousTotal)
    {
        if (total == 0 || previousTotal == 0)
        {
            return (0, 1);
        }

        var p1 = (double)hits / total;
        var p0 = (double)previousHits / previousTotal;
        var pooled = (double)(hits + previousHits) / (total + previousTotal);
        var se = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / total) + (1.0 / previousTotal)));
        if (se == 0)
        {
            return (0, 1);
        }

        var z = (p1 - p0) / se;
        return (z, 1 - NormalCdf(z));
    }
}
