namespace Psm.Web.Features.Strategy;

/// <summary>One of the five SMART criteria: whether it passes, and why not.</summary>
public sealed record SmartCriterion(string Name, bool Passes, string Explanation);

public sealed record SmartCheck(IReadOnlyList<SmartCriterion> Criteria)
{
    public bool Passes => Criteria.All(c => c.Passes);

    public IEnumerable<SmartCriterion> Failures => Criteria.Where(c => !c.Passes);
}

/// <summary>What the SMART check needs to know about a key result.</summary>
public sealed record SmartKeyResult(
    string Title, decimal Baseline, decimal Target, bool HasMetric, IReadOnlyList<(DateOnly Date, decimal Value)> History);

/// <summary>What the SMART check needs to know about an objective.</summary>
public sealed record SmartObjective(
    string Title, string Description, DateOnly Start, DateOnly? End, bool HasParent, int LinkedProductsAndServices,
    IReadOnlyList<SmartKeyResult> KeyResults);

/// <summary>
/// The SMART check. Each rule is a plain reading of the criterion that PSM can verify from the data;
/// a Draft may fail it, and activation asks for confirmation when it does.
/// </summary>
public static class SmartRules
{
    /// <summary>A target is implausible when it needs a pace this many times the fastest the history shows.</summary>
    public const double PlausiblePaceFactor = 2;

    public static SmartCheck Check(SmartObjective objective, DateOnly today) => new(
    [
        Specific(objective),
        Measurable(objective),
        Achievable(objective, today),
        Relevant(objective),
        TimeBound(objective),
    ]);

    private static SmartCriterion Specific(SmartObjective o)
    {
        var words = o.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (words < 3)
        {
            return new("Specific", false, "The title is too short to say what will change: use at least three words.");
        }

        return o.Description.Trim().Length < 20
            ? new("Specific", false, "Describe what will change and for whom (at least a sentence).")
            : new("Specific", true, "The title and description say what will change.");
    }

    private static SmartCriterion Measurable(SmartObjective o) =>
        o.KeyResults.Any(k => k.HasMetric)
            ? new("Measurable", true, $"{Infrastructure.Text.Words.Count(o.KeyResults.Count(k => k.HasMetric), "key result")} with a metric and a target.")
            : new("Measurable", false, "No key result with a target: add one that names a metric, a baseline and a target.");

    private static SmartCriterion Achievable(SmartObjective o, DateOnly today)
    {
        if (o.End is not { } end)
        {
            return new("Achievable", false, "Without an end date there is no pace to judge the targets by.");
        }

        foreach (var kr in o.KeyResults)
        {
            var points = kr.History.OrderBy(h => h.Date).ToList();
            if (points.Count < 2)
            {
                continue;
            }

            var paces = points.Zip(points.Skip(1))
                .Where(p => p.Second.Date > p.First.Date)
                .Select(p => Math.Abs((double)(p.Second.Value - p.First.Value)) / (p.Second.Date.DayNumber - p.First.Date.DayNumber))
                .ToList();
            if (paces.Count == 0)
            {
                continue; // readings from a single day say nothing about pace
            }

            var fastest = paces.Max();
            var from = today > o.Start ? today : o.Start;
            var daysLeft = Math.Max(1, end.DayNumber - from.DayNumber);
            var needed = Math.Abs((double)(kr.Target - points[^1].Value)) / daysLeft;
            if (needed > 0 && needed > fastest * PlausiblePaceFactor)
            {
                return new("Achievable", false,
                    $"\"{kr.Title}\" needs {needed:0.##} a day to reach {kr.Target:0.##}; its history never moved faster than {fastest:0.##} a day.");
            }
        }

        return new("Achievable", true, "Every target is within a pace its history has shown (or there is no history yet).");
    }

    private static SmartCriterion Relevant(SmartObjective o) =>
        o.HasParent || o.LinkedProductsAndServices > 0
            ? new("Relevant", true, o.HasParent ? "It contributes to a parent objective." : "It concerns named products or services.")
            : new("Relevant", false, "Not linked to any product, service or parent objective.");

    private static SmartCriterion TimeBound(SmartObjective o)
    {
        if (o.End is not { } end)
        {
            return new("Time-bound", false, "No end date.");
        }

        return end <= o.Start
            ? new("Time-bound", false, "The end date is not after the start date.")
            : new("Time-bound", true, $"Runs from {o.Start:d MMM yyyy} to {end:d MMM yyyy}.");
    }
}
