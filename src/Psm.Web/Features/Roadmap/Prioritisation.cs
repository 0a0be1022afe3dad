namespace Psm.Web.Features.Roadmap;

public enum Moscow { Must, Should, Could, Wont }

/// <summary>RICE: reach per quarter x impact x confidence / effort in person-months.</summary>
public static class Rice
{
    public static readonly IReadOnlyList<decimal> Impacts = [0.25m, 0.5m, 1m, 2m, 3m];

    /// <summary>Why the inputs cannot be scored, field by field; empty when they can.</summary>
    public static Dictionary<string, string[]> Problems(int reach, decimal impact, int confidencePercent, decimal effort)
    {
        var problems = new Dictionary<string, string[]>();
        if (reach < 0)
        {
            problems["reach"] = ["Reach is a count of people or accounts per quarter: it cannot be negative."];
        }

        if (!Impacts.Contains(impact))
        {
            problems["impact"] = ["Impact is one of 0.25 (minimal), 0.5 (low), 1 (medium), 2 (high) or 3 (massive)."];
        }

        if (confidencePercent is < 0 or > 100)
        {
            problems["confidence"] = ["Confidence is a percentage from 0 to 100."];
        }

        if (effort <= 0)
        {
            problems["effort"] = ["Effort is in person-months and must be more than 0."];
        }

        return problems;
    }

    public static decimal Score(int reach, decimal impact, int confidencePercent, decimal effort) =>
        Problems(reach, impact, confidencePercent, effort).Count > 0
            ? throw new ArgumentException("The RICE inputs are out of range.")
            : Math.Round(reach * impact * confidencePercent / 100m / effort, 2);
}

/// <summary>A weighted-criteria score: each criterion scored 1-5, weighted, and normalised so all-1 is 0 and all-5 is 100.</summary>
public static class WeightedScore
{
    public static decimal? Of(IEnumerable<(decimal Weight, int Score)> criteria)
    {
        var list = criteria.Where(c => c.Weight > 0).ToList();
        var total = list.Sum(c => c.Weight);
        if (total == 0)
        {
            return null;
        }

        return Math.Round(list.Sum(c => c.Weight * (c.Score - 1) / 4m) / total * 100, 1);
    }
}

/// <summary>Where the three frameworks disagree about an initiative, in words a product manager can act on.</summary>
public static class Disagreements
{
    public sealed record Scored(Guid Id, decimal? Rice, Moscow? Moscow, decimal? Weighted);

    public static Dictionary<Guid, List<string>> Find(IReadOnlyList<Scored> initiatives)
    {
        var result = initiatives.ToDictionary(i => i.Id, _ => new List<string>());
        var rice = initiatives.Where(i => i.Rice is not null).Select(i => i.Rice!.Value).Order().ToList();
        var weighted = initiatives.Where(i => i.Weighted is not null).Select(i => i.Weighted!.Value).Order().ToList();
        if (rice.Count < 4 && weighted.Count < 4)
        {
            return result; // quartiles of fewer than four scores mean nothing
        }

        foreach (var i in initiatives)
        {
            var riceQuartile = Quartile(rice, i.Rice);
            var weightedQuartile = Quartile(weighted, i.Weighted);
            if (i.Moscow == Moscow.Must && riceQuartile == 1)
            {
                result[i.Id].Add("A Must with a bottom-quartile RICE score.");
            }

            if (i.Moscow == Moscow.Wont && riceQuartile == 4)
            {
                result[i.Id].Add("Won't this time, yet a top-quartile RICE score.");
            }

            if (i.Moscow == Moscow.Must && weightedQuartile == 1)
            {
                result[i.Id].Add("A Must with a bottom-quartile weighted score.");
            }

            if (riceQuartile is { } r && weightedQuartile is { } w && Math.Abs(r - w) == 3)
            {
                result[i.Id].Add(r > w ? "Top quartile by RICE, bottom by weighted criteria." : "Top quartile by weighted criteria, bottom by RICE.");
            }
        }

        return result;
    }

    /// <summary>1 for the bottom quarter of scores up to 4 for the top, or null when unscored.</summary>
    public static int? Quartile(IReadOnlyList<decimal> sorted, decimal? value)
    {
        if (value is not { } v || sorted.Count < 4)
        {
            return null;
        }

        // How many scores are below v: a binary search for the first one not below it (the list is sorted),
        // so ranking thousands of initiatives stays n log n.
        int low = 0, high = sorted.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (sorted[mid] < v)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return Math.Min(4, low * 4 / sorted.Count + 1);
    }
}

/// <summary>Dependencies must not loop: an initiative cannot wait, however indirectly, on itself.</summary>
public static class DependencyGraph
{
    /// <summary>The path that a new edge from <paramref name="from"/> to <paramref name="to"/> would close into a cycle, or null.</summary>
    public static IReadOnlyList<Guid>? CycleIfAdded(IEnumerable<(Guid From, Guid To)> edges, Guid from, Guid to)
    {
        if (from == to)
        {
            return [from, to];
        }

        var next = edges.ToLookup(e => e.From, e => e.To);
        var stack = new Stack<(Guid Node, IReadOnlyList<Guid> Path)>();
        stack.Push((to, [from, to]));
        var seen = new HashSet<Guid>();
        while (stack.Count > 0)
        {
            var (node, path) = stack.Pop();
            if (node == from)
            {
                return path;
            }

            if (!seen.Add(node))
            {
                continue;
            }

            foreach (var n in next[node])
            {
                stack.Push((n, [.. path, n]));
            }
        }

        return null;
    }
}
