using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Roadmap;

public enum TimelineGrouping { Product, Objective }

public sealed record TimelineBar(
    Guid Id, string Title, InitiativeStatus Status, DateOnly Start, DateOnly End, DateOnly? ReleasedOn, bool Overrun, bool StartsBeforeDependency,
    IReadOnlyList<Guid> DependsOn, Guid Version);

public sealed record TimelineGroup(string Name, IReadOnlyList<TimelineBar> Bars);

/// <summary>A campaign on the timeline, next to the releases it promotes.</summary>
public sealed record TimelineCampaign(Guid Id, string Name, string Goal, string Status, DateOnly Start, DateOnly End, IReadOnlyList<Guid> Promotes);

public sealed record TimelineDto(
    DateOnly From, DateOnly To, DateOnly Today, IReadOnlyList<TimelineGroup> Groups, int Unscheduled, IReadOnlyList<TimelineCampaign> Campaigns);

public sealed class ScheduleInput
{
    [Required(ErrorMessage = "Give the planned start.")]
    public DateOnly? PlannedStart { get; set; }

    [Required(ErrorMessage = "Give the planned end.")]
    public DateOnly? PlannedEnd { get; set; }
}

/// <summary>The flags a timeline raises: pure, so each rule is unit-tested.</summary>
public static class TimelineRules
{
    private static readonly InitiativeStatus[] Finished = [InitiativeStatus.Released, InitiativeStatus.Measuring, InitiativeStatus.Done];

    /// <summary>Past its planned end and not released, or released after it.</summary>
    public static bool Overruns(InitiativeStatus status, DateOnly end, DateOnly? releasedOn, DateOnly today) =>
        releasedOn is { } released ? released > end
            : status != InitiativeStatus.Dropped && !Finished.Contains(status) && end < today;

    /// <summary>Planned to start before something it depends on is planned to end.</summary>
    public static bool StartsBeforeDependency(DateOnly start, IEnumerable<DateOnly?> dependencyEnds) =>
        dependencyEnds.Any(end => end is { } e && start < e);
}

/// <summary>The roadmap on a calendar: bars, dependencies, flags, and moving a bar's ends.</summary>
public sealed class Timeline(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public async Task<TimelineDto> BuildAsync(TimelineGrouping grouping, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.Initiatives.AsNoTracking().Where(i => i.Status != InitiativeStatus.Dropped)
            .Select(i => new
            {
                i.Id, i.Name, i.Status, i.PlannedStart, i.PlannedEnd, i.ReleasedOn, i.Version,
                DependsOn = i.DependsOn.Select(d => d.DependsOnId).ToList(),
                Products = i.Products.OrderBy(p => p.Name).Select(p => p.Name).ToList(),
                Objectives = i.Objectives.OrderBy(o => o.Objective!.Name).Select(o => o.Objective!.Name).ToList(),
            })
            .ToListAsync(ct);
        var ends = rows.ToDictionary(r => r.Id, r => r.PlannedEnd);
        var today = Today;
        var scheduled = rows.Where(r => r.PlannedStart is not null && r.PlannedEnd is not null).ToList();
        var bars = scheduled.Select(r => (
            Group: grouping == TimelineGrouping.Product ? r.Products.FirstOrDefault() ?? "No product" : r.Objectives.FirstOrDefault() ?? "Serves no objective",
            Bar: new TimelineBar(r.Id, r.Name, r.Status, r.PlannedStart!.Value, r.PlannedEnd!.Value, r.ReleasedOn,
                TimelineRules.Overruns(r.Status, r.PlannedEnd.Value, r.ReleasedOn, today),
                TimelineRules.StartsBeforeDependency(r.PlannedStart.Value, r.DependsOn.Select(d => ends.GetValueOrDefault(d))),
                r.DependsOn, r.Version)))
            .ToList();
        var groups = bars.GroupBy(b => b.Group).OrderBy(g => g.Key.StartsWith("No ", StringComparison.Ordinal) || g.Key.StartsWith("Serves no", StringComparison.Ordinal))
            .ThenBy(g => g.Key)
            .Select(g => new TimelineGroup(g.Key, g.Select(b => b.Bar).OrderBy(b => b.Start).ThenBy(b => b.Title).ToList())).ToList();
        var campaigns = await db.Campaigns.AsNoTracking().Where(c => c.Status != Campaigns.CampaignStatus.Cancelled)
            .OrderBy(c => c.StartsOn).ThenBy(c => c.Name)
            .Select(c => new { c.Id, c.Name, c.Goal, c.Status, c.StartsOn, c.EndsOn, Promotes = c.Promises.Select(p => p.Id).ToList() })
            .ToListAsync(ct);
        // The roadmap sets where the calendar starts; campaigns that ended before it are left off, and one
        // that began earlier is drawn from the calendar's first day (its dates stay in the data).
        var from = Min(bars.Count == 0 ? today : bars.Min(b => b.Bar.Start), today).AddDays(-14);
        var lane = campaigns.Where(c => c.EndsOn >= from)
            .Select(c => new TimelineCampaign(c.Id, c.Name, Campaigns.CampaignFit.Describe(c.Goal), c.Status.ToString(), c.StartsOn, c.EndsOn, c.Promotes))
            .ToList();
        var finishes = bars.Select(b => b.Bar.End).Concat(lane.Select(c => c.End)).ToList();
        var to = Max(finishes.Count == 0 ? today : finishes.Max(), today).AddDays(14);
        return new TimelineDto(from, to, today, groups, rows.Count - scheduled.Count, lane);
    }

    /// <summary>Moves an initiative's planned dates (what dragging a bar's end does).</summary>
    public async Task<TimelineBar?> RescheduleAsync(Guid id, ScheduleInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = await db.Initiatives.Include(i => i.DependsOn).SingleOrDefaultAsync(i => i.Id == id, ct);
        if (initiative is null)
        {
            return null;
        }

        if (input.PlannedEnd < input.PlannedStart)
        {
            throw new RequestValidationException("plannedEnd", "The planned end must be on or after the planned start.");
        }

        initiative.PlannedStart = input.PlannedStart;
        initiative.PlannedEnd = input.PlannedEnd;
        await db.SaveChangesAsync(ct);
        var dependencyIds = initiative.DependsOn.Select(d => d.DependsOnId).ToList();
        var dependencyEnds = await db.Initiatives.Where(i => dependencyIds.Contains(i.Id)).Select(i => i.PlannedEnd).ToListAsync(ct);
        return new TimelineBar(initiative.Id, initiative.Name, initiative.Status, initiative.PlannedStart!.Value, initiative.PlannedEnd!.Value,
            initiative.ReleasedOn, TimelineRules.Overruns(initiative.Status, initiative.PlannedEnd.Value, initiative.ReleasedOn, Today),
            TimelineRules.StartsBeforeDependency(initiative.PlannedStart.Value, dependencyEnds), dependencyIds, initiative.Version);
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

public static class TimelineApi
{
    public static RouteGroupBuilder MapTimelineApi(this RouteGroupBuilder api)
    {
        api.MapGet("/roadmap/timeline", (Timeline timeline, TimelineGrouping? groupBy, CancellationToken ct) => timeline.BuildAsync(groupBy ?? TimelineGrouping.Product, ct))
            .WithTags("Roadmap").WithName("GetTimeline")
            .WithSummary("Scheduled initiatives as bars grouped by product or objective, with dependencies, overruns and starts before a dependency ends; and the campaigns (not cancelled) with the initiatives they promote.");
        api.MapPut("/initiatives/{id:guid}/schedule", (Guid id, ScheduleInput input, Timeline timeline, CancellationToken ct) =>
                ApiResults.Found(timeline.RescheduleAsync(id, input, ct)))
            .WithTags("Roadmap").WithName("RescheduleInitiative").WithSummary("Moves an initiative's planned start and end (what dragging a bar does).")
            .RequireAuthorization(Infrastructure.Auth.Permissions.RoadmapManage);
        return api;
    }
}
