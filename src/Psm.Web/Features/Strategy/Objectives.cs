using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Strategy;

public sealed record ObjectiveFilter(
    string? Search = null, ObjectiveType? Type = null, ObjectiveStatus? Status = null, Guid? OwnerId = null,
    DateOnly? ActiveOn = null, bool IncludeArchived = false, ListSort Sort = ListSort.Newest);

/// <summary>Objectives, key results and check-ins: what the strategy pages and API share.</summary>
public sealed class Objectives(IDbContextFactory<PsmDb> dbs, MetricRegistry metrics, Catalog.Catalog catalog, TimeProvider time)
{
    /// <summary>Points by which progress may trail the share of the period spent before an objective is at risk.</summary>
    public double AtRiskMargin { get; init; } = AtRisk.DefaultMarginPoints;

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public async Task<Page<ObjectiveSummaryDto>> ListAsync(ObjectiveFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Project(Filtered(db, filter).After(filter.Sort, page.After).Ordered(filter.Sort).Take(page.Limit + 1))
            .ToListAsync(ct);
        var summaries = await SummarizeAsync(db, rows, Today, ct);
        return page.ToPage(summaries, o => Listing.KeyOf(filter.Sort, o.Title, o.CreatedAt, o.Id));
    }

    public async Task<int> CountAsync(ObjectiveFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filtered(db, filter).CountAsync(ct);
    }

    /// <summary>
    /// Every matching objective with its progress, for export, in two queries: the key results of
    /// all matching objectives (a semi-join on the same filter), then the objectives, streamed.
    /// </summary>
    public async IAsyncEnumerable<ObjectiveSummaryDto> StreamAsync(
        ObjectiveFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var matching = Filtered(db, filter).Select(o => o.Id);
        var keyResults = (await KeyResultRows(db, db.KeyResults.Where(k => matching.Contains(k.ObjectiveId)), Today).ToListAsync(ct))
            .ToLookup(k => k.ObjectiveId);
        await foreach (var row in Project(Filtered(db, filter).Ordered(filter.Sort)).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return await SummarizeAsync(row, keyResults[row.Id], Today, ct);
        }
    }

    public async Task<ObjectiveDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objective = await db.Objectives.AsNoTracking()
            .Include(o => o.Products).Include(o => o.Services).Include(o => o.Parent)
            .Include(o => o.KeyResults).ThenInclude(k => k.CheckIns)
            .AsSplitQuery()
            .SingleOrDefaultAsync(o => o.Id == id, ct);
        if (objective is null)
        {
            return null;
        }

        var summary = (await SummariesAsync(db, [id], ct))[id];
        var keyResults = new List<KeyResultDto>();
        foreach (var kr in objective.KeyResults.OrderBy(k => k.CreatedAt))
        {
            var current = await CurrentValueAsync(db, objective, kr, LatestManual(kr), ct);
            keyResults.Add(ToDto(kr, current));
        }

        var smart = SmartRules.Check(new SmartObjective(
            objective.Name, objective.Description, objective.PeriodStart, objective.PeriodEnd, objective.ParentId is not null,
            objective.Products.Count + objective.Services.Count,
            objective.KeyResults.Select(k => new SmartKeyResult(k.Title, k.Baseline, k.Target, HasMetric: true,
                k.CheckIns.Where(c => c.Value is not null).Select(c => (c.Date, c.Value!.Value)).ToList())).ToList()), Today);

        var childIds = await db.Objectives.Where(o => o.ParentId == id && o.Status != ObjectiveStatus.Archived).Select(o => o.Id).ToListAsync(ct);
        var children = (await SummariesAsync(db, childIds, ct)).Values.OrderBy(c => c.Title, StringComparer.CurrentCulture).ToList();
        var initiatives = await db.InitiativeObjectives.AsNoTracking().Where(io => io.ObjectiveId == id)
            .Join(db.Initiatives, io => io.InitiativeId, i => i.Id, (io, i) => new { i.Id, i.Name, i.Status, io.Contribution })
            .OrderBy(x => x.Name).ToListAsync(ct);
        return new ObjectiveDto(summary, objective.Description, objective.ParentId, objective.Parent?.Name,
            objective.Products.Select(p => new NamedRef(p.Id, p.Name)).ToList(),
            objective.Services.Select(s => new NamedRef(s.Id, s.Name)).ToList(),
            keyResults, smart, AtRisk.Elapsed(objective.PeriodStart, objective.PeriodEnd, Today),
            children, RollUp(children),
            initiatives.Select(i => new ServingInitiativeDto(i.Id, i.Name, i.Status.ToString(), i.Contribution)).ToList());
    }

    /// <summary>A parent's roll-up: the mean progress of its children that have one; null when none has.</summary>
    public static double? RollUp(IEnumerable<ObjectiveSummaryDto> children)
    {
        var measured = children.Where(c => c.Progress is not null).Select(c => c.Progress!.Value).ToList();
        return measured.Count == 0 ? null : Math.Round(measured.Average(), 4);
    }

    public async Task<ObjectiveDto> CreateAsync(ObjectiveInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objective = new Objective { CreatedAt = time.GetUtcNow(), Status = ObjectiveStatus.Draft };
        await ApplyAsync(db, objective, input, ct);
        db.Objectives.Add(objective);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(objective.Id, ct))!;
    }

    public async Task<ObjectiveDto?> UpdateAsync(Guid id, ObjectiveUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objective = await db.Objectives.Include(o => o.Products).Include(o => o.Services).SingleOrDefaultAsync(o => o.Id == id, ct);
        if (objective is null)
        {
            return null;
        }

        db.ExpectVersion(objective, update.Version);
        await ApplyAsync(db, objective, update, ct);
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Activates a Draft. When the SMART check fails, the caller must confirm, having seen why.</summary>
    public async Task<ObjectiveDto?> ActivateAsync(Guid id, Activation activation, CancellationToken ct = default)
    {
        var current = await GetAsync(id, ct);
        if (current is null)
        {
            return null;
        }

        if (current.Summary.Status is not (ObjectiveStatus.Draft or ObjectiveStatus.Active))
        {
            throw new RequestValidationException("status", $"A {current.Summary.Status} objective cannot be activated.");
        }

        if (!current.Smart.Passes && !activation.ConfirmSmartFailures)
        {
            throw new RequestValidationException(current.Smart.Failures.ToDictionary(
                f => $"smart.{f.Name}", f => new[] { f.Explanation }));
        }

        return await SetStatusAsync(id, ObjectiveStatus.Active, ct);
    }

    public async Task<ObjectiveDto?> SetStatusAsync(Guid id, ObjectiveStatus status, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objective = await db.Objectives.SingleOrDefaultAsync(o => o.Id == id, ct);
        if (objective is null)
        {
            return null;
        }

        objective.Status = status;
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<KeyResultDto?> AddKeyResultAsync(Guid objectiveId, KeyResultInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var objective = await db.Objectives.SingleOrDefaultAsync(o => o.Id == objectiveId, ct);
        if (objective is null)
        {
            return null;
        }

        var kr = new KeyResult { ObjectiveId = objectiveId, CreatedAt = time.GetUtcNow() };
        Apply(kr, input);
        db.KeyResults.Add(kr);
        await db.SaveChangesAsync(ct);
        return ToDto(kr, await CurrentValueAsync(db, objective, kr, null, ct));
    }

    public async Task<KeyResultDto?> UpdateKeyResultAsync(Guid id, KeyResultUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var kr = await db.KeyResults.Include(k => k.Objective).Include(k => k.CheckIns).SingleOrDefaultAsync(k => k.Id == id, ct);
        if (kr is null)
        {
            return null;
        }

        db.ExpectVersion(kr, update.Version);
        Apply(kr, update);
        await db.SaveChangesAsync(ct);
        return ToDto(kr, await CurrentValueAsync(db, kr.Objective!, kr, LatestManual(kr), ct));
    }

    public async Task<bool> DeleteKeyResultAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var kr = await db.KeyResults.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (kr is null)
        {
            return false;
        }

        db.KeyResults.Remove(kr);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Records a check-in. A manual metric's value is typed in; a derived one's is computed now and kept.</summary>
    public async Task<CheckInDto?> CheckInAsync(Guid keyResultId, CheckInInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var kr = await db.KeyResults.Include(k => k.Objective).SingleOrDefaultAsync(k => k.Id == keyResultId, ct);
        if (kr is null)
        {
            return null;
        }

        var date = input.Date ?? Today;
        if (date > Today)
        {
            throw new RequestValidationException(nameof(CheckInInput.Date), "A check-in cannot be dated in the future.");
        }

        decimal? value;
        if (kr.IsManual)
        {
            value = input.Value ?? throw new RequestValidationException(nameof(CheckInInput.Value),
                "This key result is measured by hand: enter the value.");
        }
        else
        {
            if (input.Value is not null)
            {
                throw new RequestValidationException(nameof(CheckInInput.Value),
                    "This key result's value is computed from PSM's data and cannot be typed in.");
            }

            value = (decimal?)await CurrentValueAsync(db, kr.Objective!, kr, null, ct, asOf: date);
        }

        var actor = db.CurrentUser?.Actor ?? Actor.System;
        var checkIn = new CheckIn
        {
            KeyResultId = kr.Id, Date = date, Value = value, Confidence = input.Confidence, Note = input.Note.Trim(),
            UserId = actor.UserId, UserName = actor.Name, CreatedAt = time.GetUtcNow(),
        };
        db.CheckIns.Add(checkIn);
        await db.SaveChangesAsync(ct);
        return ToCheckInDto(checkIn);
    }

    private IQueryable<Objective> Filtered(PsmDb db, ObjectiveFilter filter)
    {
        var query = db.Objectives.AsNoTracking();
        if (!filter.IncludeArchived && filter.Status != ObjectiveStatus.Archived)
        {
            query = query.Where(o => o.Status != ObjectiveStatus.Archived);
        }

        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(o => o.Name.ToLower().Contains(term) || o.Description.ToLower().Contains(term));
        }

        if (filter.Type is { } type)
        {
            query = query.Where(o => o.Type == type);
        }

        if (filter.Status is { } status)
        {
            query = query.Where(o => o.Status == status);
        }

        if (filter.OwnerId is { } owner)
        {
            query = query.Where(o => o.OwnerId == owner);
        }

        if (filter.ActiveOn is { } day)
        {
            query = query.Where(o => o.PeriodStart <= day && (o.PeriodEnd == null || o.PeriodEnd >= day));
        }

        return query;
    }

    /// <summary>The columns a summary needs, read in the list's own query.</summary>
    private static IQueryable<ObjectiveRow> Project(IQueryable<Objective> query) =>
        query.Select(o => new ObjectiveRow(o.Id, o.Name, o.Type, o.Status,
            o.Owner == null ? null : new NamedRef(o.Owner.Id, o.Owner.DisplayName), o.PeriodStart, o.PeriodEnd, o.CreatedAt, o.Version, o.ParentId));

    private sealed record ObjectiveRow(
        Guid Id, string Name, ObjectiveType Type, ObjectiveStatus Status, NamedRef? Owner, DateOnly PeriodStart, DateOnly? PeriodEnd,
        DateTimeOffset CreatedAt, Guid Version, Guid? ParentId);

    private sealed record KeyResultRow(
        Guid ObjectiveId, string MetricKey, decimal Baseline, decimal Target, BetterDirection Direction, Guid? ProductId,
        Guid? ServiceId, string? Segment, decimal Weight, decimal? Latest);

    private async Task<Dictionary<Guid, ObjectiveSummaryDto>> SummariesAsync(
        PsmDb db, List<Guid> ids, CancellationToken ct, DateOnly? asOf = null)
    {
        var rows = await Project(db.Objectives.AsNoTracking().Where(o => ids.Contains(o.Id))).ToListAsync(ct);
        return (await SummarizeAsync(db, rows, asOf ?? Today, ct)).ToDictionary(s => s.Id);
    }

    /// <summary>
    /// Progress and at-risk for objectives already read: one more query fetches their key results with
    /// each one's latest typed-in value (a correlated subquery on the check-in index). Derived key
    /// results ask the metric registry.
    /// </summary>
    private async Task<List<ObjectiveSummaryDto>> SummarizeAsync(PsmDb db, List<ObjectiveRow> rows, DateOnly today, CancellationToken ct)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var byObjective = (await KeyResultRows(db, db.KeyResults.Where(k => ids.Contains(k.ObjectiveId)), today).ToListAsync(ct))
            .ToLookup(k => k.ObjectiveId);
        var result = new List<ObjectiveSummaryDto>(rows.Count);
        foreach (var row in rows)
        {
            result.Add(await SummarizeAsync(row, byObjective[row.Id], today, ct));
        }

        return result;
    }

    /// <summary>Key results with each one's latest typed-in value, by a correlated subquery on the check-in index.</summary>
    private static IQueryable<KeyResultRow> KeyResultRows(PsmDb db, IQueryable<KeyResult> keyResults, DateOnly today) =>
        keyResults.AsNoTracking().Select(k => new KeyResultRow(k.ObjectiveId, k.MetricKey, k.Baseline, k.Target, k.Direction,
            k.ProductId, k.ServiceId, k.Segment, k.Weight,
            db.CheckIns.Where(c => c.KeyResultId == k.Id && c.Value != null && c.Date <= today)
                .OrderByDescending(c => c.Date).ThenByDescending(c => c.CreatedAt).Select(c => c.Value).FirstOrDefault()));

    /// <summary>One objective's progress and at-risk from its key results; derived ones ask the metric registry.</summary>
    private async Task<ObjectiveSummaryDto> SummarizeAsync(
        ObjectiveRow o, IEnumerable<KeyResultRow> keyResults, DateOnly today, CancellationToken ct)
    {
        var progress = new List<(double, decimal)>();
        foreach (var k in keyResults)
        {
            var current = k.MetricKey == KeyResult.ManualMetric
                ? (double?)k.Latest
                : await DerivedValueAsync(k.MetricKey, o.PeriodStart, o.PeriodEnd, k.ProductId, k.ServiceId, k.Segment, today, ct);
            progress.Add((KeyResultProgress.Of(k.Baseline, k.Target, (decimal?)current, k.Direction), k.Weight));
        }

        var weighted = KeyResultProgress.Weighted(progress);
        var atRisk = o.Status == ObjectiveStatus.Active && AtRisk.Is(weighted, o.PeriodStart, o.PeriodEnd, today, AtRiskMargin);
        return new ObjectiveSummaryDto(o.Id, o.Name, o.Type, o.Status, o.Owner, o.PeriodStart, o.PeriodEnd,
            weighted, atRisk, progress.Count, o.CreatedAt, o.Version, o.ParentId);
    }

    /// <summary>Progress and at-risk of every objective Active on a day, as judged on that day.</summary>
    public async Task<IReadOnlyList<ObjectiveSummaryDto>> ActiveOnAsync(PsmDb db, DateOnly day, CancellationToken ct)
    {
        var ids = await db.Objectives.Where(o => o.Status == ObjectiveStatus.Active && o.PeriodStart <= day
                && (o.PeriodEnd == null || o.PeriodEnd >= day))
            .Select(o => o.Id).ToListAsync(ct);
        var result = new List<ObjectiveSummaryDto>();
        foreach (var chunk in ids.Chunk(500))
        {
            result.AddRange((await SummariesAsync(db, chunk.ToList(), ct, day)).Values);
        }

        return result;
    }

    /// <summary>A manual key result's latest check-in; a derived one's metric over the objective's period so far.</summary>
    private Task<double?> CurrentValueAsync(
        PsmDb db, Objective objective, KeyResult kr, decimal? latestManual, CancellationToken ct, DateOnly? asOf = null) =>
        kr.IsManual
            ? Task.FromResult((double?)latestManual)
            : DerivedValueAsync(kr.MetricKey, objective.PeriodStart, objective.PeriodEnd, kr.ProductId, kr.ServiceId, kr.Segment, asOf ?? Today, ct);

    private async Task<double?> DerivedValueAsync(
        string metricKey, DateOnly start, DateOnly? last, Guid? productId, Guid? serviceId, string? segment, DateOnly asOf, CancellationToken ct)
    {
        // Strategy's own metrics are computed from key results; reading them here would recurse.
        if (metricKey.StartsWith("strategy.", StringComparison.Ordinal))
        {
            return null;
        }

        var end = asOf.AddDays(1);
        if (last is { } periodEnd && periodEnd.AddDays(1) < end)
        {
            end = periodEnd.AddDays(1);
        }

        return end <= start ? null : await metrics.EvaluateAsync(metricKey, new MetricQuery(start, end, productId, serviceId, segment), ct);
    }

    private static decimal? LatestManual(KeyResult kr) =>
        kr.CheckIns.Where(c => c.Value is not null).OrderByDescending(c => c.Date).ThenByDescending(c => c.CreatedAt)
            .Select(c => c.Value).FirstOrDefault();

    private async Task ApplyAsync(PsmDb db, Objective objective, ObjectiveInput input, CancellationToken ct)
    {
        if (input.PeriodEnd is { } end && end < input.PeriodStart)
        {
            throw new RequestValidationException(nameof(ObjectiveInput.PeriodEnd), "The period cannot end before it starts.");
        }

        if (input.OwnerId is { } owner && !await db.Users.AnyAsync(u => u.Id == owner && u.DeactivatedAt == null, ct))
        {
            throw new RequestValidationException(nameof(ObjectiveInput.OwnerId), "No active user has this id.");
        }

        if (input.ParentId is { } parent)
        {
            if (parent == objective.Id || !await db.Objectives.AnyAsync(o => o.Id == parent, ct))
            {
                throw new RequestValidationException(nameof(ObjectiveInput.ParentId), "The parent must be another existing objective.");
            }
        }

        var productIds = input.ProductIds.Distinct().ToList();
        var serviceIds = input.ServiceIds.Distinct().ToList();
        var products = await db.Products.Where(p => productIds.Contains(p.Id)).ToListAsync(ct);
        var services = await db.Services.Where(s => serviceIds.Contains(s.Id)).ToListAsync(ct);
        if (products.Count != productIds.Count)
        {
            throw new RequestValidationException(nameof(ObjectiveInput.ProductIds), "One or more products do not exist.");
        }

        if (services.Count != serviceIds.Count)
        {
            throw new RequestValidationException(nameof(ObjectiveInput.ServiceIds), "One or more services do not exist.");
        }

        // Only newly linked items are checked: an objective may keep a product that retired after it was set.
        var alreadyLinked = objective.Products.Select(p => p.Id).Concat(objective.Services.Select(s => s.Id)).ToHashSet();
        foreach (var product in products.Where(p => !alreadyLinked.Contains(p.Id)))
        {
            await catalog.EnsureOpenForNewWorkAsync(product.Id, null, "objectives", ct);
        }

        foreach (var service in services.Where(s => !alreadyLinked.Contains(s.Id)))
        {
            await catalog.EnsureOpenForNewWorkAsync(null, service.Id, "objectives", ct);
        }

        objective.Name = input.Title.Trim();
        objective.Description = input.Description.Trim();
        objective.Type = input.Type;
        objective.OwnerId = input.OwnerId;
        objective.PeriodStart = input.PeriodStart!.Value;
        objective.PeriodEnd = input.PeriodEnd;
        objective.ParentId = input.ParentId;
        objective.Products = products;
        objective.Services = services;
    }

    private void Apply(KeyResult kr, KeyResultInput input)
    {
        if (input.MetricKey != KeyResult.ManualMetric)
        {
            var metric = metrics.Find(input.MetricKey)
                ?? throw new RequestValidationException(nameof(KeyResultInput.MetricKey), $"There is no metric '{input.MetricKey}'.");
            if (!string.IsNullOrWhiteSpace(input.Unit) && !string.Equals(input.Unit.Trim(), metric.Unit, StringComparison.OrdinalIgnoreCase))
            {
                throw new RequestValidationException(nameof(KeyResultInput.Unit),
                    $"{metric.Name} is measured in {metric.Unit}, not {input.Unit.Trim()}.");
            }

            if (input.Direction != metric.Better)
            {
                throw new RequestValidationException(nameof(KeyResultInput.Direction),
                    $"For {metric.Name}, {(metric.Better == BetterDirection.Up ? "higher" : "lower")} is better.");
            }

            kr.Unit = metric.Unit;
        }
        else
        {
            kr.Unit = input.Unit.Trim();
        }

        if (input.Direction == BetterDirection.Up ? input.Target < input.Baseline : input.Target > input.Baseline)
        {
            throw new RequestValidationException(nameof(KeyResultInput.Target),
                input.Direction == BetterDirection.Up
                    ? "When higher is better, the target cannot be below the baseline."
                    : "When lower is better, the target cannot be above the baseline.");
        }

        kr.Title = input.Title.Trim();
        kr.MetricKey = input.MetricKey;
        kr.Baseline = input.Baseline;
        kr.Target = input.Target;
        kr.Direction = input.Direction;
        kr.ProductId = input.ProductId;
        kr.ServiceId = input.ServiceId;
        kr.Segment = string.IsNullOrWhiteSpace(input.Segment) ? null : input.Segment.Trim();
        kr.Weight = input.Weight;
    }

    private KeyResultDto ToDto(KeyResult kr, double? current) =>
        new(kr.Id, kr.ObjectiveId, kr.Title, kr.MetricKey, kr.IsManual ? "Typed in at check-ins" : metrics.Find(kr.MetricKey)?.Name ?? kr.MetricKey,
            kr.Baseline, kr.Target, kr.Unit, kr.Direction, kr.ProductId, kr.ServiceId, kr.Segment, kr.Weight, current,
            KeyResultProgress.Of(kr.Baseline, kr.Target, (decimal?)current, kr.Direction),
            kr.CheckIns.OrderByDescending(c => c.Date).ThenByDescending(c => c.CreatedAt).Select(c => (Confidence?)c.Confidence).FirstOrDefault(),
            kr.CheckIns.OrderBy(c => c.Date).ThenBy(c => c.CreatedAt).Select(ToCheckInDto).ToList(), kr.Version);

    private static CheckInDto ToCheckInDto(CheckIn c) => new(c.Id, c.Date, c.Value, c.Confidence, c.Note, c.UserName);
}
