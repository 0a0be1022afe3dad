using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Roadmap;

/// <summary>A key result a released initiative is expected to move.</summary>
public sealed class InitiativeKeyResult
{
    public Guid InitiativeId { get; set; }
    public Guid KeyResultId { get; set; }
    public KeyResult? KeyResult { get; set; }
}

/// <summary>
/// A key result's value before and after the release. A manual key result compares its last check-in
/// on or before the release day with its latest one after it. A computed one compares its metric over
/// two windows of equal length on either side of the release (the days since release, at most 90).
/// </summary>
public sealed record KeyResultImpactDto(
    Guid KeyResultId, string Title, NamedRef Objective, string Unit, BetterDirection Direction, double? Before, double? After, double? Change,
    bool? Improved, string Basis);

public sealed record ReleaseImpactDto(DateOnly? ReleasedOn, IReadOnlyList<KeyResultImpactDto> KeyResults, IReadOnlyList<NamedRef> Candidates);

public sealed class ExpectedKeyResults
{
    public List<Guid> KeyResultIds { get; set; } = [];
}

public sealed class ReleaseImpact(IDbContextFactory<PsmDb> dbs, MetricRegistry metrics, TimeProvider time)
{
    public const int MaxWindowDays = 90;

    public async Task<ReleaseImpactDto?> GetAsync(Guid initiativeId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = await db.Initiatives.AsNoTracking().Where(i => i.Id == initiativeId)
            .Select(i => new { i.ReleasedOn, Objectives = i.Objectives.Select(o => o.ObjectiveId).ToList() }).SingleOrDefaultAsync(ct);
        if (initiative is null)
        {
            return null;
        }

        // Candidates: the key results of the objectives the initiative serves.
        var candidates = await db.KeyResults.AsNoTracking().Where(k => initiative.Objectives.Contains(k.ObjectiveId))
            .OrderBy(k => k.Title).Select(k => new NamedRef(k.Id, k.Title)).ToListAsync(ct);
        var ids = await db.Set<InitiativeKeyResult>().Where(l => l.InitiativeId == initiativeId).Select(l => l.KeyResultId).ToListAsync(ct);
        var linked = await db.KeyResults.AsNoTracking().Where(k => ids.Contains(k.Id)).Include(k => k.CheckIns).Include(k => k.Objective)
            .AsSplitQuery().ToListAsync(ct);
        var rows = new List<KeyResultImpactDto>();
        foreach (var kr in linked.OrderBy(k => k.Title))
        {
            var (before, after, basis) = initiative.ReleasedOn is { } released ? await ValuesAsync(kr, released, ct) : (null, null, "not released yet");
            double? change = before is { } b && after is { } a ? Math.Round(a - b, 2) : null;
            bool? improved = change is { } c ? (kr.Direction == BetterDirection.Down ? c < 0 : c > 0) : null;
            rows.Add(new KeyResultImpactDto(kr.Id, kr.Title, new NamedRef(kr.ObjectiveId, kr.Objective!.Name), kr.Unit, kr.Direction, before, after, change,
                improved, basis));
        }

        return new ReleaseImpactDto(initiative.ReleasedOn, rows, candidates);
    }

    /// <summary>Names the key results the initiative is expected to move; they must belong to objectives it serves.</summary>
    public async Task<ReleaseImpactDto?> SetAsync(Guid initiativeId, ExpectedKeyResults input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objectives = await db.Initiatives.Where(i => i.Id == initiativeId).Select(i => i.Objectives.Select(o => o.ObjectiveId).ToList())
            .SingleOrDefaultAsync(ct);
        if (objectives is null)
        {
            return null;
        }

        var wanted = (input.KeyResultIds ?? []).Distinct().ToList();
        var valid = await db.KeyResults.Where(k => wanted.Contains(k.Id) && objectives.Contains(k.ObjectiveId)).Select(k => k.Id).ToListAsync(ct);
        if (valid.Count != wanted.Count)
        {
            throw new RequestValidationException("keyResultIds", "Choose key results of the objectives this initiative serves.");
        }

        db.RemoveRange(await db.Set<InitiativeKeyResult>().Where(l => l.InitiativeId == initiativeId).ToListAsync(ct));
        db.AddRange(wanted.Select(k => new InitiativeKeyResult { InitiativeId = initiativeId, KeyResultId = k }));
        await db.SaveChangesAsync(ct);
        return await GetAsync(initiativeId, ct);
    }

    private async Task<(double? Before, double? After, string Basis)> ValuesAsync(KeyResult kr, DateOnly released, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (kr.IsManual)
        {
            var before = kr.CheckIns.Where(c => c.Value != null && c.Date <= released).OrderByDescending(c => c.Date).FirstOrDefault()?.Value;
            var after = kr.CheckIns.Where(c => c.Value != null && c.Date > released).OrderByDescending(c => c.Date).FirstOrDefault()?.Value;
            return ((double?)before, (double?)after, "last check-in before and latest after the release");
        }

        if (kr.MetricKey.StartsWith("strategy.", StringComparison.Ordinal))
        {
            return (null, null, "computed from other key results");
        }

        var days = Math.Clamp(today.DayNumber - released.DayNumber, 0, MaxWindowDays);
        if (days == 0)
        {
            return (null, null, "released today: no time after it yet");
        }

        var beforeValue = await metrics.EvaluateAsync(kr.MetricKey, new MetricQuery(released.AddDays(-days), released, kr.ProductId, kr.ServiceId, kr.Segment), ct);
        var afterValue = await metrics.EvaluateAsync(kr.MetricKey, new MetricQuery(released, released.AddDays(days), kr.ProductId, kr.ServiceId, kr.Segment), ct);
        return (beforeValue, afterValue, $"the metric over the {days} days before and after the release");
    }
}

internal sealed class InitiativeKeyResultConfiguration : IEntityTypeConfiguration<InitiativeKeyResult>
{
    public void Configure(EntityTypeBuilder<InitiativeKeyResult> link)
    {
        link.ToTable("InitiativeKeyResults");
        link.HasKey(l => new { l.InitiativeId, l.KeyResultId });
        link.HasOne<Initiative>().WithMany().HasForeignKey(l => l.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        link.HasOne(l => l.KeyResult).WithMany().HasForeignKey(l => l.KeyResultId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class ReleaseImpactApi
{
    public static RouteGroupBuilder MapReleaseImpactApi(this RouteGroupBuilder api)
    {
        api.MapGet("/initiatives/{id:guid}/key-results", (Guid id, ReleaseImpact impact, CancellationToken ct) => ApiResults.Found(impact.GetAsync(id, ct)))
            .WithTags("Roadmap").WithName("GetInitiativeKeyResults")
            .WithSummary("The key results an initiative is expected to move, with their values before and after its release.");
        api.MapPut("/initiatives/{id:guid}/key-results", (Guid id, ExpectedKeyResults input, ReleaseImpact impact, CancellationToken ct) =>
                ApiResults.Found(impact.SetAsync(id, input, ct)))
            .WithTags("Roadmap").WithName("SetInitiativeKeyResults")
            .WithSummary("Names the key results an initiative is expected to move (of the objectives it serves).")
            .RequireAuthorization(Infrastructure.Auth.Permissions.RoadmapManage);
        return api;
    }
}
