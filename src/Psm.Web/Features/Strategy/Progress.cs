namespace Psm.Web.Features.Strategy;

public enum BetterDirection { Up, Down }

/// <summary>How far a key result has come from its baseline toward its target.</summary>
public static class KeyResultProgress
{
    /// <summary>
    /// Percent of the way from baseline to target, clamped to 0-100. A target equal to its baseline
    /// ("hold the line") is 100 while the value is at or better than it, else 0.
    /// </summary>
    public static double Of(decimal baseline, decimal target, decimal? current, BetterDirection direction)
    {
        if (current is not { } value)
        {
            return 0;
        }

        if (target == baseline)
        {
            var holds = direction == BetterDirection.Up ? value >= target : value <= target;
            return holds ? 100 : 0;
        }

        var share = (double)((value - baseline) / (target - baseline));
        return Math.Clamp(share * 100, 0, 100);
    }

    /// <summary>The weighted mean of key results' progress; an objective with no key results has none.</summary>
    public static double? Weighted(IEnumerable<(double Progress, decimal Weight)> keyResults)
    {
        var list = keyResults.Where(k => k.Weight > 0).ToList();
        var total = list.Sum(k => (double)k.Weight);
        return total == 0 ? null : list.Sum(k => k.Progress * (double)k.Weight) / total;
    }
}

/// <summary>Whether progress lags the share of the period already spent by more than a margin.</summary>
public static class AtRisk
{
    public const double DefaultMarginPoints = 15;

    /// <summary>The share of the period elapsed on <paramref name="today"/>, 0 before it starts and 1 after it ends.</summary>
    public static double Elapsed(DateOnly start, DateOnly? end, DateOnly today)
    {
        if (end is not { } last || today <= start)
        {
            return 0;
        }

        var days = last.DayNumber - start.DayNumber;
        return days <= 0 ? 1 : Math.Clamp((today.DayNumber - start.DayNumber) / (double)days, 0, 1);
    }

    public static bool Is(double? progress, DateOnly start, DateOnly? end, DateOnly today, double marginPoints = DefaultMarginPoints) =>
        progress is { } p && p < Elapsed(start, end, today) * 100 - marginPoints;
}
