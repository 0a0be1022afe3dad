using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

/// <summary>Roadmap reviews with their snapshots and the diff between two, retrospectives, and their action items.</summary>
public sealed class RoadmapReviews(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public async Task<IReadOnlyList<ReviewSummaryDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<RoadmapReview>().AsNoTracking().OrderByDescending(r => r.HeldOn).ThenByDescending(r => r.CreatedAt)
            .Select(r => new ReviewSummaryDto(r.Id, r.Title, r.HeldOn, r.Snapshot.Count(), r.ActionItems.Count(a => a.Status == ActionStatus.Open)))
            .ToListAsync(ct);
    }

    public async Task<ReviewDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var review = await db.Set<RoadmapReview>().AsNoTracking().Include(r => r.Snapshot).Include(r => r.ActionItems)
            .AsSplitQuery().SingleOrDefaultAsync(r => r.Id == id, ct);
        return review is null ? null : new ReviewDto(review.Id, review.Title, review.HeldOn, review.Attendees, review.Notes, review.Decisions,
            review.CreatedBy, review.Snapshot.Select(ToRow).OrderBy(r => r.Rank ?? int.MaxValue).ThenBy(r => r.Title).ToList(),
            review.ActionItems.OrderBy(a => a.DueOn ?? DateOnly.MaxValue).Select(ToDto).ToList());
    }

    /// <summary>Holds a review: records it and snapshots every initiative as it stands now.</summary>
    public async Task<ReviewDto> HoldAsync(ReviewInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var heldOn = input.HeldOn ?? Today;
        if (heldOn > Today)
        {
            throw new RequestValidationException("heldOn", "A review takes today's roadmap: it cannot be held in the future.");
        }

        var initiatives = await db.Initiatives.AsNoTracking()
            .Select(i => new
            {
                i.Id, i.Name, i.Status, i.PlannedStart, i.PlannedEnd, i.RiceScore, i.Moscow, i.WeightedScore,
                Objectives = i.Objectives.Select(o => o.ObjectiveId).ToList(),
            })
            .ToListAsync(ct);
        var ranks = ReviewDiff.Ranks(initiatives.Select(i => (i.Id, i.Status, i.RiceScore)));
        var review = new RoadmapReview
        {
            Title = input.Title.Trim(), HeldOn = heldOn, Attendees = input.Attendees.Trim(), Notes = input.Notes.Trim(),
            Decisions = input.Decisions.Trim(), CreatedAt = time.GetUtcNow(), CreatedBy = (db.CurrentUser?.Actor ?? Actor.System).Name,
        };
        review.Snapshot = initiatives.Select(i => new ReviewSnapshotItem
        {
            ReviewId = review.Id, InitiativeId = i.Id, Title = i.Name, Status = i.Status, PlannedStart = i.PlannedStart, PlannedEnd = i.PlannedEnd,
            RiceScore = i.RiceScore, Moscow = i.Moscow, WeightedScore = i.WeightedScore, Rank = ranks.TryGetValue(i.Id, out var r) ? r : null,
            ObjectiveIds = string.Join(',', i.Objectives),
        }).ToList();
        db.Set<RoadmapReview>().Add(review);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(review.Id, ct))!;
    }

    /// <summary>What changed between two reviews; the earlier one is "before" whatever the order given.</summary>
    public async Task<ReviewDiffDto?> CompareAsync(Guid first, Guid second, CancellationToken ct = default)
    {
        var a = await GetAsync(first, ct);
        var b = await GetAsync(second, ct);
        if (a is null || b is null)
        {
            return null;
        }

        var (before, after) = (a.HeldOn, a.Id) .CompareTo((b.HeldOn, b.Id)) <= 0 ? (a, b) : (b, a);
        return ReviewDiff.Compare(before.Snapshot, after.Snapshot);
    }

    public async Task<ActionItemDto?> AddActionAsync(Guid? reviewId, Guid? retrospectiveId, ActionItemInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var exists = reviewId is { } rid ? await db.Set<RoadmapReview>().AnyAsync(r => r.Id == rid, ct)
            : retrospectiveId is { } tid && await db.Set<Retrospective>().AnyAsync(r => r.Id == tid, ct);
        if (!exists)
        {
            return null;
        }

        var item = new ActionItem { ReviewId = reviewId, RetrospectiveId = retrospectiveId };
        Apply(item, input);
        db.Set<ActionItem>().Add(item);
        await db.SaveChangesAsync(ct);
        return ToDto(item);
    }

    public async Task<ActionItemDto?> UpdateActionAsync(Guid id, ActionItemInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var item = await db.Set<ActionItem>().SingleOrDefaultAsync(a => a.Id == id, ct);
        if (item is null)
        {
            return null;
        }

        db.ExpectVersion(item, input.Version);
        Apply(item, input);
        await db.SaveChangesAsync(ct);
        return ToDto(item);
    }

    public async Task<IReadOnlyList<RetrospectiveDto>> RetrospectivesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var retros = await db.Set<Retrospective>().AsNoTracking().Include(r => r.ActionItems).Include(r => r.Initiative).Include(r => r.Review)
            .AsSplitQuery().OrderByDescending(r => r.HeldOn).ThenByDescending(r => r.CreatedAt).ToListAsync(ct);
        return retros.Select(ToDto).ToList();
    }

    public async Task<RetrospectiveDto> RecordRetrospectiveAsync(RetrospectiveInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = new List<(string, string)>();
        if (input.InitiativeId is { } initiative && !await db.Initiatives.AnyAsync(i => i.Id == initiative, ct))
        {
            problems.Add(("initiativeId", "There is no such initiative."));
        }

        if (input.ReviewId is { } review && !await db.Set<RoadmapReview>().AnyAsync(r => r.Id == review, ct))
        {
            problems.Add(("reviewId", "There is no such review."));
        }

        if (string.IsNullOrWhiteSpace(input.WentWell) && string.IsNullOrWhiteSpace(input.ToImprove))
        {
            problems.Add(("wentWell", "Write what went well or what to improve: a retrospective with neither says nothing."));
        }

        RequestValidationException.ThrowIfAny(problems);
        var retro = new Retrospective
        {
            Title = input.Title.Trim(), HeldOn = input.HeldOn ?? Today, InitiativeId = input.InitiativeId, ReviewId = input.ReviewId,
            WentWell = input.WentWell.Trim(), ToImprove = input.ToImprove.Trim(), CreatedAt = time.GetUtcNow(),
        };
        db.Set<Retrospective>().Add(retro);
        await db.SaveChangesAsync(ct);
        return (await RetrospectivesAsync(ct)).Single(r => r.Id == retro.Id);
    }

    private static void Apply(ActionItem item, ActionItemInput input)
    {
        item.Text = input.Text.Trim();
        item.Owner = input.Owner.Trim();
        item.DueOn = input.DueOn;
        item.Status = input.Status;
    }

    private ActionItemDto ToDto(ActionItem a) =>
        new(a.Id, a.Text, a.Owner, a.DueOn, a.Status, a.Status == ActionStatus.Open && a.DueOn < Today, a.Version);

    private RetrospectiveDto ToDto(Retrospective r) =>
        new(r.Id, r.Title, r.HeldOn, r.Initiative is null ? null : new NamedRef(r.Initiative.Id, r.Initiative.Name),
            r.Review is null ? null : new NamedRef(r.Review.Id, r.Review.Title), r.WentWell, r.ToImprove,
            r.ActionItems.OrderBy(a => a.DueOn ?? DateOnly.MaxValue).Select(ToDto).ToList());

    private static SnapshotRow ToRow(ReviewSnapshotItem s) =>
        new(s.InitiativeId, s.Title, s.Status, s.PlannedStart, s.PlannedEnd, s.RiceScore, s.Moscow, s.WeightedScore, s.Rank,
            s.ObjectiveIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList());
}
