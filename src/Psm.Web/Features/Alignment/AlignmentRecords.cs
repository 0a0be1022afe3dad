using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Alignment;

/// <summary>Stakeholders, their concerns, and the decision log: what the alignment pages and API share.</summary>
public sealed class AlignmentRecords(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<IReadOnlyList<StakeholderDto>> StakeholdersAsync(Department? department = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Stakeholders.AsNoTracking();
        if (department is { } d)
        {
            query = query.Where(s => s.Department == d);
        }

        return await query.OrderBy(s => s.Name)
            .Select(s => new StakeholderDto(s.Id, s.Name, s.Department, s.Role, s.Influence, s.Interest, s.UserId, s.Version)).ToListAsync(ct);
    }

    public async Task<StakeholderDto> AddStakeholderAsync(StakeholderInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (input.UserId is { } user && !await db.Users.AnyAsync(u => u.Id == user, ct))
        {
            throw new RequestValidationException(nameof(StakeholderInput.UserId), "No user has this id.");
        }

        var stakeholder = new Stakeholder
        {
            Name = input.Name.Trim(), Department = input.Department, Role = input.Role.Trim(), Influence = input.Influence,
            Interest = input.Interest, UserId = input.UserId, CreatedAt = time.GetUtcNow(),
        };
        db.Stakeholders.Add(stakeholder);
        await db.SaveChangesAsync(ct);
        return new StakeholderDto(stakeholder.Id, stakeholder.Name, stakeholder.Department, stakeholder.Role, stakeholder.Influence,
            stakeholder.Interest, stakeholder.UserId, stakeholder.Version);
    }

    public async Task<IReadOnlyList<ConcernDto>> ConcernsAsync(ConcernSubject subject, Guid subjectId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db.Concerns.AsNoTracking().Where(c => c.Subject == subject && c.SubjectId == subjectId)
            .OrderByDescending(c => c.CreatedAt)).ToListAsync(ct);
    }

    /// <summary>Any signed-in person may put a stakeholder's view on record, a Stakeholder included.</summary>
    public async Task<ConcernDto> AddConcernAsync(ConcernInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var own = await OwnStakeholderAsync(db, ct);
        if (input.StakeholderId == Guid.Empty && own is not null)
        {
            input.StakeholderId = own.Value;
        }

        if (input.StakeholderId != own && db.CurrentUser?.Holds(Permissions.AlignmentManage) == false)
        {
            throw new UnauthorizedAccessException(own is null
                ? "Your account is not linked to a stakeholder record, so you cannot record a concern; ask an administrator to link it."
                : "You can record a concern only in your own name.");
        }

        if (!await db.Stakeholders.AnyAsync(s => s.Id == input.StakeholderId, ct))
        {
            throw new RequestValidationException("stakeholderId", "Choose a stakeholder.");
        }

        var exists = input.Subject switch
        {
            ConcernSubject.Initiative => await db.Initiatives.AnyAsync(i => i.Id == input.SubjectId, ct),
            ConcernSubject.Objective => await db.Objectives.AnyAsync(o => o.Id == input.SubjectId, ct),
            ConcernSubject.Campaign => await db.Set<Campaigns.Campaign>().AnyAsync(c => c.Id == input.SubjectId, ct),
            _ => await db.Decisions.AnyAsync(d => d.Id == input.SubjectId, ct),
        };
        if (!exists)
        {
            throw new RequestValidationException(nameof(ConcernInput.SubjectId), $"There is no such {input.Subject.ToString().ToLowerInvariant()}.");
        }

        var concern = new Concern
        {
            StakeholderId = input.StakeholderId, Subject = input.Subject, SubjectId = input.SubjectId, Stance = input.Stance,
            Text = input.Text.Trim(), Status = ConcernStatus.Open, CreatedAt = time.GetUtcNow(),
            RecordedBy = (db.CurrentUser?.Actor ?? Actor.System).Name,
        };
        db.Concerns.Add(concern);
        await db.SaveChangesAsync(ct);
        return await Project(db.Concerns.AsNoTracking().Where(c => c.Id == concern.Id)).SingleAsync(ct);
    }

    /// <summary>The stakeholder record linked to the signed-in user, if any: concerns default to it.</summary>
    public async Task<Guid?> OwnStakeholderIdAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await OwnStakeholderAsync(db, ct);
    }

    private static async Task<Guid?> OwnStakeholderAsync(PsmDb db, CancellationToken ct) =>
        db.CurrentUser?.Actor.UserId is { } userId
            ? await db.Stakeholders.Where(s => s.UserId == userId).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(ct)
            : null;

    public async Task<ConcernDto?> SetConcernStatusAsync(Guid id, ConcernStatus status, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var concern = await db.Concerns.SingleOrDefaultAsync(c => c.Id == id, ct);
        if (concern is null)
        {
            return null;
        }

        concern.Status = status;
        await db.SaveChangesAsync(ct);
        return await Project(db.Concerns.AsNoTracking().Where(c => c.Id == id)).SingleAsync(ct);
    }

    public async Task<IReadOnlyList<DecisionDto>> DecisionsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var decisions = await Load(db).OrderByDescending(d => d.DecidedOn).ThenByDescending(d => d.CreatedAt).ToListAsync(ct);
        return await ToDtosAsync(db, decisions, ct);
    }

    public async Task<DecisionDto?> DecisionAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var decision = await Load(db).SingleOrDefaultAsync(d => d.Id == id, ct);
        return decision is null ? null : (await ToDtosAsync(db, [decision], ct))[0];
    }

    public async Task<DecisionDto> RecordDecisionAsync(DecisionInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (input.DecidedOn > today)
        {
            throw new RequestValidationException(nameof(DecisionInput.DecidedOn), "A decision is recorded once it is made: the date cannot be in the future.");
        }

        var consulted = await db.Stakeholders.Where(s => input.ConsultedStakeholderIds.Contains(s.Id)).ToListAsync(ct);
        var initiatives = await db.Initiatives.Where(i => input.InitiativeIds.Contains(i.Id)).ToListAsync(ct);
        var objectives = await db.Objectives.Where(o => input.ObjectiveIds.Contains(o.Id)).ToListAsync(ct);
        var campaigns = await db.Set<Campaigns.Campaign>().Where(c => input.CampaignIds.Contains(c.Id)).ToListAsync(ct);
        if (campaigns.Count != input.CampaignIds.Distinct().Count())
        {
            throw new RequestValidationException("campaignIds", "One or more linked campaigns do not exist.");
        }

        if (consulted.Count != input.ConsultedStakeholderIds.Distinct().Count())
        {
            throw new RequestValidationException(nameof(DecisionInput.ConsultedStakeholderIds), "One or more stakeholders do not exist.");
        }

        if (initiatives.Count != input.InitiativeIds.Distinct().Count() || objectives.Count != input.ObjectiveIds.Distinct().Count())
        {
            throw new RequestValidationException(nameof(DecisionInput.InitiativeIds), "One or more linked initiatives or objectives do not exist.");
        }

        var decision = new Decision
        {
            Title = input.Title.Trim(), Context = input.Context.Trim(), OptionsConsidered = input.OptionsConsidered.Trim(),
            Outcome = input.Outcome.Trim(), Rationale = input.Rationale.Trim(), DecidedOn = input.DecidedOn ?? today,
            DecidedBy = input.DecidedBy.Trim(), Consulted = consulted, Initiatives = initiatives, Objectives = objectives, Campaigns = campaigns,
            CreatedAt = time.GetUtcNow(),
        };
        db.Decisions.Add(decision);
        await db.SaveChangesAsync(ct);
        return (await DecisionAsync(decision.Id, ct))!;
    }

    private static IQueryable<Decision> Load(PsmDb db) =>
        db.Decisions.AsNoTracking().Include(d => d.Consulted).Include(d => d.Initiatives).Include(d => d.Objectives).Include(d => d.Campaigns).AsSplitQuery();

    private static async Task<List<DecisionDto>> ToDtosAsync(PsmDb db, List<Decision> decisions, CancellationToken ct)
    {
        // Remaining concerns: those on the decision itself and those still open on the initiatives it links.
        var ids = decisions.Select(d => d.Id).ToList();
        var initiativeIds = decisions.SelectMany(d => d.Initiatives.Select(i => i.Id)).Distinct().ToList();
        var concerns = (await Project(db.Concerns.AsNoTracking()
                .Where(c => c.Status != ConcernStatus.Addressed
                            && ((c.Subject == ConcernSubject.Decision && ids.Contains(c.SubjectId))
                                || (c.Subject == ConcernSubject.Initiative && initiativeIds.Contains(c.SubjectId)))))
            .ToListAsync(ct));
        var open = decisions.SelectMany(d => concerns
                .Where(c => (c.Subject == ConcernSubject.Decision && c.SubjectId == d.Id)
                            || (c.Subject == ConcernSubject.Initiative && d.Initiatives.Any(i => i.Id == c.SubjectId)))
                .Select(c => (d.Id, Concern: c)))
            .ToLookup(x => x.Id, x => x.Concern);
        return decisions.Select(d => new DecisionDto(d.Id, d.Title, d.Context, d.OptionsConsidered, d.Outcome, d.Rationale, d.DecidedOn,
            d.DecidedBy, d.Consulted.Select(s => new NamedRef(s.Id, s.Name)).ToList(),
            d.Initiatives.Select(i => new NamedRef(i.Id, i.Name)).ToList(),
            d.Objectives.Select(o => new NamedRef(o.Id, o.Name)).ToList(), d.Campaigns.Select(c => new NamedRef(c.Id, c.Name)).ToList(),
            open[d.Id].ToList())).ToList();
    }

    private static IQueryable<ConcernDto> Project(IQueryable<Concern> query) =>
        query.Select(c => new ConcernDto(c.Id, c.StakeholderId, c.Stakeholder!.Name, c.Stakeholder.Department, c.Subject, c.SubjectId,
            c.Stance, c.Text, c.Status, c.CreatedAt, c.RecordedBy));
}
