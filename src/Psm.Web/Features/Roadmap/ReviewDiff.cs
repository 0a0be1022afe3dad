namespace Psm.Web.Features.Roadmap;

public sealed record ReviewChange(Guid InitiativeId, string Title, string What, string? Before, string? After);

/// <summary>What changed on the roadmap between two reviews, in the groups a review meeting asks about.</summary>
public sealed record ReviewDiffDto(
    IReadOnlyList<ReviewChange> Added, IReadOnlyList<ReviewChange> Dropped, IReadOnlyList<ReviewChange> Moved,
    IReadOnlyList<ReviewChange> Rescored, IReadOnlyList<ReviewChange> Reprioritised, IReadOnlyList<ReviewChange> StatusChanged,
    IReadOnlyList<ReviewChange> ObjectivesChanged)
{
    public int Count => Added.Count + Dropped.Count + Moved.Count + Rescored.Count + Reprioritised.Count + StatusChanged.Count + ObjectivesChanged.Count;
}

/// <summary>Compares two snapshots of the roadmap: pure, so every rule is unit-tested.</summary>
public static class ReviewDiff
{
    public static ReviewDiffDto Compare(IReadOnlyList<SnapshotRow> before, IReadOnlyList<SnapshotRow> after)
    {
        var old = before.ToDictionary(r => r.InitiativeId);
        var now = after.ToDictionary(r => r.InitiativeId);
        var added = new List<ReviewChange>();
        var dropped = new List<ReviewChange>();
        var moved = new List<ReviewChange>();
        var rescored = new List<ReviewChange>();
        var reprioritised = new List<ReviewChange>();
        var status = new List<ReviewChange>();
        var objectives = new List<ReviewChange>();

        foreach (var a in after.OrderBy(r => r.Title, StringComparer.Ordinal))
        {
            if (!old.TryGetValue(a.InitiativeId, out var b))
            {
                added.Add(new ReviewChange(a.InitiativeId, a.Title, "added", null, a.Status.ToString()));
                continue;
            }

            if (a.Status == InitiativeStatus.Dropped && b.Status != InitiativeStatus.Dropped)
            {
                dropped.Add(new ReviewChange(a.InitiativeId, a.Title, "dropped", b.Status.ToString(), a.Status.ToString()));
            }
            else if (a.Status != b.Status)
            {
                status.Add(new ReviewChange(a.InitiativeId, a.Title, "status", b.Status.ToString(), a.Status.ToString()));
            }

            if (a.PlannedStart != b.PlannedStart || a.PlannedEnd != b.PlannedEnd)
            {
                moved.Add(new ReviewChange(a.InitiativeId, a.Title, "dates", Span(b), Span(a)));
            }

            if (a.RiceScore != b.RiceScore)
            {
                rescored.Add(new ReviewChange(a.InitiativeId, a.Title, "RICE", Number(b.RiceScore), Number(a.RiceScore)));
            }

            if (a.WeightedScore != b.WeightedScore)
            {
                rescored.Add(new ReviewChange(a.InitiativeId, a.Title, "weighted", Number(b.WeightedScore), Number(a.WeightedScore)));
            }

            if (a.Moscow != b.Moscow)
            {
                reprioritised.Add(new ReviewChange(a.InitiativeId, a.Title, "MoSCoW", b.Moscow?.ToString() ?? "none", a.Moscow?.ToString() ?? "none"));
            }

            if (a.Rank != b.Rank)
            {
                reprioritised.Add(new ReviewChange(a.InitiativeId, a.Title, "rank", b.Rank is { } r0 ? $"#{r0}" : "unranked", a.Rank is { } r1 ? $"#{r1}" : "unranked"));
            }

            if (!a.ObjectiveIds.Order().SequenceEqual(b.ObjectiveIds.Order()))
            {
                objectives.Add(new ReviewChange(a.InitiativeId, a.Title, "objectives", $"{b.ObjectiveIds.Count} linked", $"{a.ObjectiveIds.Count} linked"));
            }
        }

        // Gone from the roadmap altogether (deleted since) counts as dropped too.
        dropped.AddRange(before.Where(b => !now.ContainsKey(b.InitiativeId)).OrderBy(b => b.Title, StringComparer.Ordinal)
            .Select(b => new ReviewChange(b.InitiativeId, b.Title, "removed", b.Status.ToString(), null)));
        return new ReviewDiffDto(added, dropped, moved, rescored, reprioritised, status, objectives);
    }

    /// <summary>Ranks by RICE, highest first, among the initiatives still in play; the others get no rank.</summary>
    public static IReadOnlyDictionary<Guid, int> Ranks(IEnumerable<(Guid Id, InitiativeStatus Status, decimal? Rice)> initiatives) =>
        initiatives.Where(i => i.Rice is not null && i.Status is not (InitiativeStatus.Dropped or InitiativeStatus.Done))
            .OrderByDescending(i => i.Rice).ThenBy(i => i.Id)
            .Select((i, index) => (i.Id, Rank: index + 1)).ToDictionary(x => x.Id, x => x.Rank);

    private static string Span(SnapshotRow r) => $"{r.PlannedStart?.ToString("yyyy-MM-dd") ?? "?"} to {r.PlannedEnd?.ToString("yyyy-MM-dd") ?? "?"}";

    private static string Number(decimal? value) => value?.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}
