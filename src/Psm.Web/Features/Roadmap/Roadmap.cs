using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

public enum Framework { Rice, Moscow, Weighted }

public sealed record InitiativeFilter(
    string? Search = null, InitiativeStatus? Status = null, Guid? ProductId = null, Guid? ObjectiveId = null, string? Team = null,
    Guid? OwnerId = null, ListSort Sort = ListSort.Newest);

/// <summary>Initiatives, their scores and their place on the board: what the roadmap pages and API share.</summary>
public sealed class Roadmap(IDbContextFactory<PsmDb> dbs, Catalog.Catalog catalog, TimeProvider time)
{
    public static readonly IReadOnlyList<(string Name, string Description)> DefaultCriteria =
    [
        ("Customer impact", "How much it changes customers' results or experience."),
        ("Business viability", "Revenue, margin or cost it moves, and whether that pays for it."),
        ("Technical feasibility", "How sure we are we can build and run it."),
        ("Strategic alignment", "How directly it serves the objectives leadership set."),
        ("Fit with company values", "Whether it is the kind of thing we want to be known for."),
    ];

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public async Task<Page<InitiativeSummaryDto>> ListAsync(InitiativeFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Project(Filtered(db, filter).After(filter.Sort, page.After).Ordered(filter.Sort).Take(page.Limit + 1)).ToListAsync(ct);
        return page.ToPage(rows, i => Listing.KeyOf(filter.Sort, i.Title, i.CreatedAt, i.Id));
    }

    public async Task<int> CountAsync(InitiativeFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filtered(db, filter).CountAsync(ct);
    }

    public async IAsyncEnumerable<InitiativeSummaryDto> StreamAsync(
        InitiativeFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var row in Project(Filtered(db, filter).Ordered(filter.Sort)).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return row;
        }
    }

    /// <summary>The board: every matching initiative, best RICE score first within each status column.</summary>
    public async Task<IReadOnlyList<InitiativeSummaryDto>> BoardAsync(InitiativeFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(Filtered(db, filter).OrderBy(i => i.Status).ThenByDescending(i => i.RiceScore).ThenBy(i => i.Name))
            .ToListAsync(ct);
    }

    public async Task<InitiativeDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var summary = await Project(db.Initiatives.AsNoTracking().Where(i => i.Id == id)).SingleOrDefaultAsync(ct);
        if (summary is null)
        {
            return null;
        }

        var initiative = await db.Initiatives.AsNoTracking().Where(i => i.Id == id)
            .Include(i => i.Products).Include(i => i.Services).Include(i => i.CriterionScores)
            .Include(i => i.Objectives).ThenInclude(o => o.Objective)
            .Include(i => i.DependsOn).ThenInclude(d => d.DependsOn)
            .AsSplitQuery().SingleAsync(ct);
        var criteria = await db.ScoringCriteria.AsNoTracking().Where(c => !c.Retired).OrderBy(c => c.Position).ToListAsync(ct);
        var scores = initiative.CriterionScores.ToDictionary(s => s.CriterionId, s => s.Score);
        return new InitiativeDto(summary, initiative.Problem, initiative.ExpectedOutcome, initiative.Reach, initiative.Impact,
            initiative.Confidence,
            initiative.Products.Select(p => new NamedRef(p.Id, p.Name)).ToList(),
            initiative.Services.Select(s => new NamedRef(s.Id, s.Name)).ToList(),
            initiative.Objectives.Select(o => new ObjectiveLinkDto(o.ObjectiveId, o.Objective!.Name, o.Objective.Status, o.Contribution)).ToList(),
            initiative.DependsOn.Select(d => new NamedRef(d.DependsOnId, d.DependsOn!.Name)).ToList(),
            criteria.Select(c => new CriterionScoreDto(c.Id, c.Name, c.Weight, scores.TryGetValue(c.Id, out var s) ? s : null)).ToList());
    }

    public async Task<InitiativeDto> CreateAsync(InitiativeInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = new Initiative { CreatedAt = time.GetUtcNow(), Status = InitiativeStatus.Idea };
        await ApplyAsync(db, initiative, input, ct);
        db.Initiatives.Add(initiative);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(initiative.Id, ct))!;
    }

    public async Task<InitiativeDto?> UpdateAsync(Guid id, InitiativeUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = await db.Initiatives.Include(i => i.Products).Include(i => i.Services).Include(i => i.Objectives)
            .Include(i => i.DependsOn).SingleOrDefaultAsync(i => i.Id == id, ct);
        if (initiative is null)
        {
            return null;
        }

        db.ExpectVersion(initiative, update.Version);
        await ApplyAsync(db, initiative, update, ct);
        CheckStatusRules(initiative.Status, initiative);
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Moves an initiative to a status (the board's drag), with the same rules as an edit.</summary>
    public async Task<InitiativeSummaryDto?> MoveAsync(Guid id, InitiativeStatus status, CancellationToken ct = default, DateOnly? releasedOn = null)
    {
        if (releasedOn is { } day && (day > Today || status is not (InitiativeStatus.Released or InitiativeStatus.Measuring or InitiativeStatus.Done)))
        {
            throw new RequestValidationException("releasedOn",
                day > Today ? "The release date cannot be in the future." : "A release date goes with Released, Measuring or Done.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = await db.Initiatives.SingleOrDefaultAsync(i => i.Id == id, ct);
        if (initiative is null)
        {
            return null;
        }

        CheckStatusRules(status, initiative);
        if (status is InitiativeStatus.Released or InitiativeStatus.Measuring or InitiativeStatus.Done)
        {
            initiative.ReleasedOn = releasedOn ?? initiative.ReleasedOn ?? Today;
        }
        else if (status < InitiativeStatus.Released)
        {
            // Moved back before release (it was pulled, or released by mistake): it has no release date any more.
            initiative.ReleasedOn = null;
        }

        initiative.Status = status;
        await db.SaveChangesAsync(ct);
        return await Project(db.Initiatives.AsNoTracking().Where(i => i.Id == id)).SingleAsync(ct);
    }

    /// <summary>Sets any of the three frameworks' inputs and keeps a snapshot of the scores that result.</summary>
    public async Task<InitiativeDto?> ScoreAsync(Guid id, ScoresInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var initiative = await db.Initiatives.Include(i => i.CriterionScores).SingleOrDefaultAsync(i => i.Id == id, ct);
        if (initiative is null)
        {
            return null;
        }

        var criteria = await db.ScoringCriteria.Where(c => !c.Retired).ToListAsync(ct);
        var problems = new Dictionary<string, string[]>();
        var riceGiven = new object?[] { input.Reach, input.Impact, input.Confidence, input.Effort }.Count(v => v is not null);
        if (riceGiven is > 0 and < 4)
        {
            problems["rice"] = ["Give reach, impact, confidence and effort together, or none of them."];
        }
        else if (riceGiven == 4)
        {
            foreach (var (field, messages) in Rice.Problems(input.Reach!.Value, input.Impact!.Value, input.Confidence!.Value, input.Effort!.Value))
            {
                problems[field] = messages;
            }
        }

        foreach (var (criterionId, score) in input.Criteria)
        {
            if (criteria.All(c => c.Id != criterionId))
            {
                problems[$"criteria.{criterionId}"] = ["There is no such criterion in the scoring model."];
            }
            else if (score is < 1 or > 5)
            {
                problems[$"criteria.{criterionId}"] = ["Score each criterion from 1 to 5."];
            }
        }

        if (problems.Count > 0)
        {
            throw new RequestValidationException(problems);
        }

        initiative.Reach = input.Reach;
        initiative.Impact = input.Impact;
        initiative.Confidence = input.Confidence;
        initiative.Effort = input.Effort;
        initiative.RiceScore = riceGiven == 4 ? Rice.Score(input.Reach!.Value, input.Impact!.Value, input.Confidence!.Value, input.Effort!.Value) : null;
        initiative.Moscow = input.Moscow;
        db.CriterionScores.RemoveRange(initiative.CriterionScores);
        initiative.CriterionScores = input.Criteria.Select(c => new CriterionScore { InitiativeId = id, CriterionId = c.Key, Score = c.Value }).ToList();
        initiative.WeightedScore = Weighted(criteria, initiative.CriterionScores);

        var actor = db.CurrentUser?.Actor ?? Actor.System;
        db.ScoreChanges.Add(new ScoreChange
        {
            InitiativeId = id, At = time.GetUtcNow(), UserName = actor.Name, Reach = initiative.Reach, Impact = initiative.Impact,
            Confidence = initiative.Confidence, Effort = initiative.Effort, RiceScore = initiative.RiceScore, Moscow = initiative.Moscow,
            WeightedScore = initiative.WeightedScore,
            Criteria = JsonSerializer.Serialize(criteria.Where(c => input.Criteria.ContainsKey(c.Id)).ToDictionary(c => c.Name, c => input.Criteria[c.Id])),
        });
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<IReadOnlyList<ScoreChangeDto>?> ScoreHistoryAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Initiatives.AnyAsync(i => i.Id == id, ct))
        {
            return null;
        }

        var changes = await db.ScoreChanges.AsNoTracking().Where(c => c.InitiativeId == id).OrderByDescending(c => c.At).ToListAsync(ct);
        return changes.Select(c => new ScoreChangeDto(c.At, c.UserName, c.RiceScore, c.Moscow, c.WeightedScore, c.Reach, c.Impact,
            c.Confidence, c.Effort, c.Criteria)).ToList();
    }

    public async Task<IReadOnlyList<CriterionDto>> CriteriaAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.ScoringCriteria.AsNoTracking().Where(c => !c.Retired).OrderBy(c => c.Position)
            .Select(c => new CriterionDto(c.Id, c.Name, c.Description, c.Weight, c.Position)).ToListAsync(ct);
    }

    /// <summary>Replaces the scoring model. Criteria left out are retired; every weighted score is recomputed.</summary>
    public async Task<IReadOnlyList<CriterionDto>> SetCriteriaAsync(IReadOnlyList<CriterionInput> inputs, CancellationToken ct = default)
    {
        if (inputs.Count == 0)
        {
            throw new RequestValidationException("criteria", "The scoring model needs at least one criterion.");
        }

        if (inputs.Select(i => i.Name.Trim().ToLowerInvariant()).Distinct().Count() != inputs.Count)
        {
            throw new RequestValidationException("criteria", "Criterion names must differ.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var existing = await db.ScoringCriteria.ToListAsync(ct);
        foreach (var criterion in existing)
        {
            criterion.Retired = true;
        }

        for (var position = 0; position < inputs.Count; position++)
        {
            var input = inputs[position];
            var criterion = input.Id is { } id ? existing.SingleOrDefault(c => c.Id == id) : null;
            if (input.Id is not null && criterion is null)
            {
                throw new RequestValidationException($"criteria[{position}].id", "There is no such criterion.");
            }

            if (criterion is null)
            {
                criterion = new ScoringCriterion();
                db.ScoringCriteria.Add(criterion);
            }

            criterion.Name = input.Name.Trim();
            criterion.Description = input.Description.Trim();
            criterion.Weight = input.Weight;
            criterion.Position = position;
            criterion.Retired = false;
        }

        await db.SaveChangesAsync(ct);
        var active = await db.ScoringCriteria.Where(c => !c.Retired).ToListAsync(ct);
        var scored = await db.Initiatives.Include(i => i.CriterionScores).Where(i => i.CriterionScores.Any()).ToListAsync(ct);
        foreach (var initiative in scored)
        {
            initiative.WeightedScore = Weighted(active, initiative.CriterionScores);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return await CriteriaAsync(ct);
    }

    /// <summary>
    /// Every initiative not dropped or done, ranked by the chosen framework with the other two beside it,
    /// and where the frameworks disagree.
    /// </summary>
    public async Task<IReadOnlyList<RankedInitiative>> PrioritiseAsync(Framework framework, InitiativeFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Project(Filtered(db, filter).Where(i => i.Status != InitiativeStatus.Dropped && i.Status != InitiativeStatus.Done))
            .ToListAsync(ct);
        var ranked = framework switch
        {
            Framework.Moscow => rows.OrderBy(r => r.Moscow is null).ThenBy(r => r.Moscow).ThenByDescending(r => r.RiceScore ?? -1),
            Framework.Weighted => rows.OrderByDescending(r => r.WeightedScore ?? -1).ThenByDescending(r => r.RiceScore ?? -1),
            _ => rows.OrderByDescending(r => r.RiceScore ?? -1).ThenByDescending(r => r.WeightedScore ?? -1),
        };
        var disagreements = Disagreements.Find(rows.Select(r => new Disagreements.Scored(r.Id, r.RiceScore, r.Moscow, r.WeightedScore)).ToList());
        var evidence = await Feedback.FeedbackInbox.EvidenceCountsAsync(db, ct);
        return ranked.Select((r, index) => new RankedInitiative(r, index + 1, disagreements[r.Id],
            evidence.TryGetValue(r.Id, out var e) ? new CustomerEvidence(e.Items, e.Customers, e.Revenue) : new CustomerEvidence(0, 0, 0))).ToList();
    }

    /// <summary>Writes the default scoring model when there is none yet.</summary>
    public static async Task EnsureDefaultCriteriaAsync(PsmDb db, CancellationToken ct)
    {
        if (await db.ScoringCriteria.AnyAsync(ct))
        {
            return;
        }

        db.ScoringCriteria.AddRange(DefaultCriteria.Select((c, i) => new ScoringCriterion { Name = c.Name, Description = c.Description, Position = i }));
        await db.SaveChangesAsync(ct);
    }

    private static decimal? Weighted(IReadOnlyList<ScoringCriterion> criteria, IEnumerable<CriterionScore> scores)
    {
        var byId = scores.ToDictionary(s => s.CriterionId, s => s.Score);
        var scored = criteria.Where(c => byId.ContainsKey(c.Id)).Select(c => (c.Weight, byId[c.Id])).ToList();
        return scored.Count == 0 ? null : WeightedScore.Of(scored);
    }

    private static void CheckStatusRules(InitiativeStatus status, Initiative initiative)
    {
        if (status is InitiativeStatus.Planned or InitiativeStatus.InProgress && (initiative.PlannedStart is null || initiative.PlannedEnd is null))
        {
            throw new RequestValidationException(nameof(StatusMove.Status),
                $"Give {initiative.Name} a planned start and end before it moves to {Describe(status)}.");
        }
    }

    public static string Describe(InitiativeStatus status) => status == InitiativeStatus.InProgress ? "In progress" : status.ToString();

    private IQueryable<Initiative> Filtered(PsmDb db, InitiativeFilter filter)
    {
        var query = db.Initiatives.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(i => i.Name.ToLower().Contains(term) || i.Problem.ToLower().Contains(term));
        }

        if (filter.Status is { } status)
        {
            query = query.Where(i => i.Status == status);
        }

        if (filter.ProductId is { } product)
        {
            query = query.Where(i => i.Products.Any(p => p.Id == product));
        }

        if (filter.ObjectiveId is { } objective)
        {
            query = query.Where(i => i.Objectives.Any(o => o.ObjectiveId == objective));
        }

        if (!string.IsNullOrWhiteSpace(filter.Team))
        {
            var team = filter.Team.Trim();
            query = query.Where(i => i.Team == team);
        }

        if (filter.OwnerId is { } owner)
        {
            query = query.Where(i => i.OwnerId == owner);
        }

        return query;
    }

    /// <summary>Initiatives still open to evidence (neither done nor dropped), by name: what feedback and tickets can be linked to.</summary>
    public static IQueryable<NamedRef> OpenForEvidence(PsmDb db) =>
        db.Initiatives.AsNoTracking().Where(i => i.Status != InitiativeStatus.Dropped && i.Status != InitiativeStatus.Done)
            .OrderBy(i => i.Name).Select(i => new NamedRef(i.Id, i.Name));

    private static IQueryable<InitiativeSummaryDto> Project(IQueryable<Initiative> query) =>
        query.Select(i => new InitiativeSummaryDto(i.Id, i.Name, i.Status,
            i.Owner == null ? null : new NamedRef(i.Owner.Id, i.Owner.DisplayName), i.Team, i.PlannedStart, i.PlannedEnd, i.ReleasedOn,
            i.RiceScore, i.Moscow, i.WeightedScore, i.Effort, i.Objectives.Count(),
            i.Objectives.Count(o => o.Objective!.Status == ObjectiveStatus.Active), i.CreatedAt, i.Version));

    private async Task ApplyAsync(PsmDb db, Initiative initiative, InitiativeInput input, CancellationToken ct)
    {
        if (input.PlannedEnd is { } end && input.PlannedStart is { } start && end < start)
        {
            throw new RequestValidationException(nameof(InitiativeInput.PlannedEnd), "The planned end cannot be before the planned start.");
        }

        if (input.OwnerId is { } owner && !await db.Users.AnyAsync(u => u.Id == owner && u.DeactivatedAt == null, ct))
        {
            throw new RequestValidationException(nameof(InitiativeInput.OwnerId), "No active user has this id.");
        }

        var productIds = input.ProductIds.Distinct().ToList();
        var serviceIds = input.ServiceIds.Distinct().ToList();
        var products = await db.Products.Where(p => productIds.Contains(p.Id)).ToListAsync(ct);
        var services = await db.Services.Where(s => serviceIds.Contains(s.Id)).ToListAsync(ct);
        if (products.Count != productIds.Count)
        {
            throw new RequestValidationException(nameof(InitiativeInput.ProductIds), "One or more products do not exist.");
        }

        if (services.Count != serviceIds.Count)
        {
            throw new RequestValidationException(nameof(InitiativeInput.ServiceIds), "One or more services do not exist.");
        }

        var linked = initiative.Products.Select(p => p.Id).Concat(initiative.Services.Select(s => s.Id)).ToHashSet();
        foreach (var product in products.Where(p => !linked.Contains(p.Id)))
        {
            await catalog.EnsureOpenForNewWorkAsync(product.Id, null, "initiatives", ct);
        }

        foreach (var service in services.Where(s => !linked.Contains(s.Id)))
        {
            await catalog.EnsureOpenForNewWorkAsync(null, service.Id, "initiatives", ct);
        }

        var objectiveIds = input.Objectives.Select(o => o.ObjectiveId).Distinct().ToList();
        if (await db.Objectives.CountAsync(o => objectiveIds.Contains(o.Id), ct) != objectiveIds.Count)
        {
            throw new RequestValidationException(nameof(InitiativeInput.Objectives), "One or more objectives do not exist.");
        }

        var dependencyIds = input.DependsOn.Distinct().ToList();
        if (await db.Initiatives.CountAsync(i => dependencyIds.Contains(i.Id), ct) != dependencyIds.Count)
        {
            throw new RequestValidationException(nameof(InitiativeInput.DependsOn), "One or more initiatives it depends on do not exist.");
        }

        var edges = await db.InitiativeDependencies.Where(d => d.InitiativeId != initiative.Id)
            .Select(d => new { d.InitiativeId, d.DependsOnId }).ToListAsync(ct);
        var graph = edges.Select(e => (e.InitiativeId, e.DependsOnId)).ToList();
        foreach (var dependency in dependencyIds)
        {
            if (DependencyGraph.CycleIfAdded(graph, initiative.Id, dependency) is not null)
            {
                throw new RequestValidationException(nameof(InitiativeInput.DependsOn),
                    "That dependency would make initiatives wait on each other in a circle.");
            }

            graph.Add((initiative.Id, dependency));
        }

        initiative.Name = input.Title.Trim();
        initiative.Problem = input.Problem.Trim();
        initiative.ExpectedOutcome = input.ExpectedOutcome.Trim();
        initiative.OwnerId = input.OwnerId;
        initiative.Team = input.Team.Trim();
        initiative.PlannedStart = input.PlannedStart;
        initiative.PlannedEnd = input.PlannedEnd;
        initiative.Products = products;
        initiative.Services = services;
        // Links are reconciled, not replaced: a link kept keeps its row, so EF never tracks two with one key.
        var wanted = input.Objectives.DistinctBy(o => o.ObjectiveId).ToDictionary(o => o.ObjectiveId, o => o.Contribution.Trim());
        initiative.Objectives.RemoveAll(o => !wanted.ContainsKey(o.ObjectiveId));
        foreach (var (objectiveId, contribution) in wanted)
        {
            if (initiative.Objectives.SingleOrDefault(o => o.ObjectiveId == objectiveId) is { } kept)
            {
                kept.Contribution = contribution;
            }
            else
            {
                initiative.Objectives.Add(new InitiativeObjective { InitiativeId = initiative.Id, ObjectiveId = objectiveId, Contribution = contribution });
            }
        }

        initiative.DependsOn.RemoveAll(d => !dependencyIds.Contains(d.DependsOnId));
        foreach (var dependency in dependencyIds.Where(d => initiative.DependsOn.All(x => x.DependsOnId != d)))
        {
            initiative.DependsOn.Add(new InitiativeDependency { InitiativeId = initiative.Id, DependsOnId = dependency });
        }
    }
}
