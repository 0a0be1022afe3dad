using Psm.Web.Infrastructure.Http;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Alignment;

public sealed record AlignedInitiative(Guid Id, string Title, InitiativeStatus Status, decimal? Effort, IReadOnlyList<Guid> ActiveObjectiveIds);

public sealed record UnconsultedDepartments(Guid InitiativeId, string Title, IReadOnlyList<Department> Departments);

public sealed record AlignmentDto(
    double? ScorePercent, decimal AlignedEffort, decimal TotalEffort, int UnestimatedInitiatives, string Formula,
    IReadOnlyList<NamedRef> ActiveObjectives, IReadOnlyList<AlignedInitiative> ActiveInitiatives,
    IReadOnlyList<NamedRef> ObjectivesNoInitiativeServes, IReadOnlyList<NamedRef> InitiativesOutsideTheStrategy,
    IReadOnlyList<NamedRef> ObjectivesWithoutKeyResults, IReadOnlyList<NamedRef> InitiativesWithOpenOpposition,
    IReadOnlyList<UnconsultedDepartments> DepartmentsNeverConsulted, IReadOnlyList<TypeMixRow> EffortByObjectiveType);

/// <summary>How well the work on the roadmap serves the strategy, and where it does not: computed, never typed in.</summary>
public sealed class AlignmentReport(IDbContextFactory<PsmDb> dbs)
{
    public async Task<AlignmentDto> BuildAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await BuildAsync(db, ct);
    }

    public async Task<IReadOnlyDictionary<ObjectiveType, decimal>> WeightsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<TypeWeight>().AsNoTracking().ToDictionaryAsync(w => w.Type, w => w.Percent, ct);
    }

    /// <summary>Replaces leadership's weights by objective type; they must add up to 100 % (or be empty, to clear them).</summary>
    public async Task<IReadOnlyDictionary<ObjectiveType, decimal>> SetWeightsAsync(TypeWeightsInput input, CancellationToken ct = default)
    {
        Infrastructure.Http.RequestValidationException.ThrowIfAny(EffortMix.Problems(input));
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.RemoveRange(await db.Set<TypeWeight>().ToListAsync(ct));
        db.AddRange(input.Weights.Select(w => new TypeWeight { Type = w.Key, Percent = w.Value }));
        await db.SaveChangesAsync(ct);
        return await WeightsAsync(ct);
    }

    /// <summary>
    /// Initiatives in an active status (AlignmentScore.ActiveStatuses), written out so the database sees
    /// constants it can use an index for, not a parameter list.
    /// </summary>
    private static IQueryable<Initiative> Active(PsmDb db) => db.Initiatives.AsNoTracking().Where(i =>
        i.Status == InitiativeStatus.Planned || i.Status == InitiativeStatus.InProgress || i.Status == InitiativeStatus.Released
        || i.Status == InitiativeStatus.Measuring);

    public static async Task<AlignmentDto> BuildAsync(PsmDb db, CancellationToken ct)
    {
        // A dozen small reads: one connection for all of them, not one from the pool each.
        await db.Database.OpenConnectionAsync(ct);
        var objectives = await db.Objectives.AsNoTracking().Where(o => o.Status == ObjectiveStatus.Active).OrderBy(o => o.Name)
            .Select(o => new { o.Id, o.Name, o.Type, HasKeyResults = o.KeyResults.Any() }).ToListAsync(ct);
        // Two flat reads rather than a nested collection: at thousands of initiatives the join and sort EF
        // builds for a nested projection cost more than grouping the links here.
        var links = (await db.InitiativeObjectives.AsNoTracking()
                .Join(Active(db), l => l.InitiativeId, i => i.Id, (l, _) => l)
                .Where(l => l.Objective!.Status == ObjectiveStatus.Active)
                .Select(l => new { l.InitiativeId, l.ObjectiveId }).ToListAsync(ct))
            .ToLookup(l => l.InitiativeId, l => l.ObjectiveId);
        // Sorted here: the database's collation-aware sort of thousands of titles costs more than sorting them in memory.
        var initiatives = (await Active(db).Select(i => new { i.Id, i.Name, i.Status, i.Effort }).ToListAsync(ct))
            .OrderBy(i => i.Name, StringComparer.CurrentCulture)
            .Select(i => new AlignedInitiative(i.Id, i.Name, i.Status, i.Effort, links[i.Id].ToList())).ToList();
        // Any initiative not dropped counts as serving: an idea in the backlog is still a plan for the objective.
        // Only active objectives can be unserved: ask about those few, not about every link.
        var served = await db.Objectives.AsNoTracking().Where(o => o.Status == ObjectiveStatus.Active
                && db.InitiativeObjectives.Any(l => l.ObjectiveId == o.Id
                    && db.Initiatives.Any(i => i.Id == l.InitiativeId && i.Status != InitiativeStatus.Dropped)))
            .Select(o => o.Id).ToListAsync(ct);

        var score = AlignmentScore.Of(initiatives.Select(i => (i.Effort, i.ActiveObjectiveIds.Count > 0)));

        // Open opposition on initiatives still going ahead.
        var opposed = await db.Initiatives.AsNoTracking()
            .Where(i => i.Status != InitiativeStatus.Dropped && i.Status != InitiativeStatus.Done
                && db.Concerns.Any(c => c.Subject == ConcernSubject.Initiative && c.SubjectId == i.Id
                    && c.Stance == Stance.Opposes && c.Status == ConcernStatus.Open))
            .OrderBy(i => i.Name).Select(i => new NamedRef(i.Id, i.Name)).ToListAsync(ct);

        // A department is consulted on an initiative when one of its stakeholders has a view on record there,
        // or was consulted on a decision about it. Only departments with stakeholders on record can be asked.
        var departments = await db.Stakeholders.Select(s => s.Department).Distinct().ToListAsync(ct);
        // In progress is one of the active statuses: those initiatives are already loaded, in name order.
        var inProgress = initiatives.Where(i => i.Status == InitiativeStatus.InProgress).Select(i => new { i.Id, Name = i.Title }).ToList();
        var inProgressIds = inProgress.Select(i => i.Id).ToList();
        var heard = await db.Concerns.AsNoTracking()
            .Where(c => c.Subject == ConcernSubject.Initiative
                && db.Initiatives.Any(i => i.Id == c.SubjectId && i.Status == InitiativeStatus.InProgress))
            .Select(c => new { InitiativeId = c.SubjectId, c.Stakeholder!.Department }).ToListAsync(ct);
        var decisions = await db.Decisions.AsNoTracking()
            .Where(d => d.Initiatives.Any(i => i.Status == InitiativeStatus.InProgress))
            .Select(d => new { Initiatives = d.Initiatives.Select(i => i.Id).ToList(), Departments = d.Consulted.Select(s => s.Department).ToList() })
            .ToListAsync(ct);
        var consulted = decisions.SelectMany(d => d.Initiatives.Where(inProgressIds.Contains)
            .SelectMany(i => d.Departments.Select(department => new { InitiativeId = i, Department = department })));
        var reached = heard.Concat(consulted).ToLookup(x => x.InitiativeId, x => x.Department);
        var unconsulted = inProgress
            .Select(i => new UnconsultedDepartments(i.Id, i.Name, departments.Except(reached[i.Id]).Order().ToList()))
            .Where(u => u.Departments.Count > 0).ToList();
        var typeOf = objectives.ToDictionary(o => o.Id, o => o.Type);
        var weights = await db.Set<TypeWeight>().AsNoTracking().ToDictionaryAsync(w => w.Type, w => w.Percent, ct);
        var mix = EffortMix.Of(initiatives.Select(i => (i.Effort, (IReadOnlyList<ObjectiveType>)i.ActiveObjectiveIds.Select(id => typeOf[id]).ToList())), weights);
        return new AlignmentDto(score.Percent, score.AlignedEffort, score.TotalEffort, score.Unestimated, AlignmentScore.Formula,
            objectives.Select(o => new NamedRef(o.Id, o.Name)).ToList(),
            initiatives,
            objectives.Where(o => !served.Contains(o.Id)).Select(o => new NamedRef(o.Id, o.Name)).ToList(),
            initiatives.Where(i => i.ActiveObjectiveIds.Count == 0).Select(i => new NamedRef(i.Id, i.Title)).ToList(),
            objectives.Where(o => !o.HasKeyResults).Select(o => new NamedRef(o.Id, o.Name)).ToList(),
            opposed, unconsulted, mix);
    }
}

/// <summary>
/// Alignment figures in the registry. They describe the roadmap as it stands: status history is not
/// kept yet, so a series has a value only in the bucket that holds today.
/// </summary>
public abstract class CurrentAlignmentMetric : IMetric
{
    public abstract MetricDefinition Definition { get; }

    protected abstract double? Measure(AlignmentDto alignment);

    public async Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) =>
        Measure(await AlignmentReport.BuildAsync(db, ct));

    public async Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var bucket = Buckets.StartOf(today, granularity);
        return bucket >= query.From && bucket < query.To ? [new MetricPoint(bucket, await EvaluateAsync(db, query, ct))] : [];
    }
}

public sealed class AlignmentScoreMetric : CurrentAlignmentMetric
{
    public override MetricDefinition Definition { get; } = new("alignment.score", "Alignment score", "%", BetterDirection.Up,
        [MetricDimension.Period], "The share of active initiatives' effort that serves at least one active objective.");

    protected override double? Measure(AlignmentDto alignment) => alignment.ScorePercent;
}

public sealed class UnservedObjectivesMetric : CurrentAlignmentMetric
{
    public override MetricDefinition Definition { get; } = new("alignment.objectives_unserved", "Active objectives no initiative serves",
        "objectives", BetterDirection.Down, [MetricDimension.Period], "Active objectives that no initiative (other than dropped ones) serves.");

    protected override double? Measure(AlignmentDto alignment) => alignment.ObjectivesNoInitiativeServes.Count;
}

public sealed class OffStrategyInitiativesMetric : CurrentAlignmentMetric
{
    public override MetricDefinition Definition { get; } = new("alignment.initiatives_off_strategy", "Active initiatives serving no active objective",
        "initiatives", BetterDirection.Down, [MetricDimension.Period], "Planned, in-progress, released or measuring initiatives that serve no active objective.");

    protected override double? Measure(AlignmentDto alignment) => alignment.InitiativesOutsideTheStrategy.Count;
}
