namespace Psm.Web.Features.Roadmap;

/// <summary>
/// Alignment: the share of active initiatives' effort (person-months) that serves at least one
/// active objective. Initiatives without an effort estimate cannot be weighed and are counted apart.
/// </summary>
public static class AlignmentScore
{
    public const string Formula =
        "effort of active initiatives serving at least one active objective / effort of all active initiatives x 100";

    /// <summary>Planned, in progress, released or measuring: work committed or under way.</summary>
    public static readonly IReadOnlyList<InitiativeStatus> ActiveStatuses =
        [InitiativeStatus.Planned, InitiativeStatus.InProgress, InitiativeStatus.Released, InitiativeStatus.Measuring];

    public sealed record Result(double? Percent, decimal AlignedEffort, decimal TotalEffort, int Unestimated);

    public static Result Of(IEnumerable<(decimal? Effort, bool ServesActiveObjective)> activeInitiatives)
    {
        var list = activeInitiatives.ToList();
        var estimated = list.Where(i => i.Effort is > 0).ToList();
        var total = estimated.Sum(i => i.Effort!.Value);
        var aligned = estimated.Where(i => i.ServesActiveObjective).Sum(i => i.Effort!.Value);
        return new Result(total == 0 ? null : (double)(aligned / total * 100), aligned, total, list.Count - estimated.Count);
    }
}
