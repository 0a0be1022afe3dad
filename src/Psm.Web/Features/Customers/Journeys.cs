using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>Journey maps: stages, touchpoints, pain points and what they are linked to.</summary>
public sealed class Journeys(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public static readonly IReadOnlyList<string> DefaultStages = ["Awareness", "Consideration", "Purchase", "Onboarding", "Use", "Support", "Renewal"];

    public async Task<IReadOnlyList<JourneyMapSummaryDto>> ListAsync(Guid? personaId = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var maps = db.Set<JourneyMap>().AsNoTracking();
        if (personaId is { } persona)
        {
            maps = maps.Where(m => m.PersonaId == persona);
        }

        return await maps.OrderBy(m => m.Name).Select(m => new JourneyMapSummaryDto(m.Id, m.Name, new NamedRef(m.PersonaId, m.Persona!.Name),
                m.Product == null ? null : new NamedRef(m.Product.Id, m.Product.Name), m.Stages.Count(),
                m.Stages.SelectMany(s => s.Touchpoints).Count(), m.Stages.SelectMany(s => s.Touchpoints).Count(t => t.PainPoint != null)))
            .ToListAsync(ct);
    }

    public async Task<JourneyMapDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var map = await db.Set<JourneyMap>().AsNoTracking().Where(m => m.Id == id)
            .Select(m => new { m.Id, m.Name, m.PersonaId, Persona = m.Persona!.Name, m.ProductId, Product = m.Product == null ? null : m.Product.Name, m.Version })
            .SingleOrDefaultAsync(ct);
        if (map is null)
        {
            return null;
        }

        var stages = await db.Set<JourneyStage>().AsNoTracking().Where(s => s.MapId == id).OrderBy(s => s.Position).ToListAsync(ct);
        var stageIds = stages.Select(s => s.Id).ToList();
        var touchpoints = await db.Set<Touchpoint>().AsNoTracking().Where(t => stageIds.Contains(t.StageId)).OrderBy(t => t.Position)
            .Select(t => new
            {
                t.Id, t.StageId, t.Name, t.Channel, t.Emotion, t.PainPoint,
                Feedback = t.Feedback.Select(f => new NamedRef(f.FeedbackId, f.Feedback!.Text)).ToList(),
                Initiatives = t.Initiatives.Select(i => new NamedRef(i.InitiativeId, i.Initiative!.Name)).ToList(),
            })
            .ToListAsync(ct);
        // Per stage, the distinct feedback items linked to any of its touchpoints: counted and averaged in the database.
        var stats = await db.Set<TouchpointFeedback>().Join(db.Set<Touchpoint>(), l => l.TouchpointId, t => t.Id, (l, t) => new { t.StageId, l.FeedbackId })
            .Where(x => stageIds.Contains(x.StageId)).Distinct()
            .Join(db.Set<Feedback.FeedbackItem>(), x => x.FeedbackId, f => f.Id, (x, f) => new { x.StageId, f.Sentiment })
            .GroupBy(x => x.StageId).Select(g => new { g.Key, Count = g.Count(), Average = g.Average(x => x.Sentiment) })
            .ToDictionaryAsync(x => x.Key, ct);
        var dtos = stages.Select(s =>
        {
            var points = touchpoints.Where(t => t.StageId == s.Id).ToList();
            var stat = stats.GetValueOrDefault(s.Id);
            return new JourneyStageDto(s.Id, s.Position, s.Name, stat?.Count ?? 0, stat is null ? null : Math.Round(stat.Average, 3),
                points.Count == 0 ? null : points.Average(p => (double)p.Emotion),
                points.Select(t => new TouchpointDto(t.Id, t.Name, t.Channel, t.Emotion, t.PainPoint, t.Feedback, t.Initiatives)).ToList());
        }).ToList();
        return new JourneyMapDto(map.Id, map.Name, new NamedRef(map.PersonaId, map.Persona),
            map.ProductId is { } p ? new NamedRef(p, map.Product!) : null, dtos, map.Version);
    }

    public async Task<JourneyMapDto> CreateAsync(JourneyMapInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var problems = new List<(string, string)>();
        if (!await db.Set<Persona>().AnyAsync(p => p.Id == input.PersonaId, ct))
        {
            problems.Add(("personaId", "There is no such persona."));
        }

        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct))
        {
            problems.Add(("productId", "There is no such product."));
        }

        var names = (input.Stages is { Count: > 0 } given ? given : DefaultStages).Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        if (names.Count == 0 || names.Any(n => n.Length > 100))
        {
            problems.Add(("stages", "Give at least one stage name, each at most 100 characters."));
        }

        RequestValidationException.ThrowIfAny(problems);
        var map = new JourneyMap
        {
            Name = input.Name.Trim(), PersonaId = input.PersonaId!.Value, ProductId = input.ProductId, CreatedAt = time.GetUtcNow(),
            Stages = names.Select((n, i) => new JourneyStage { Name = n, Position = i }).ToList(),
        };
        db.Set<JourneyMap>().Add(map);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(map.Id, ct))!;
    }

    public async Task<JourneyMapDto?> AddStageAsync(Guid mapId, StageInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Set<JourneyMap>().AnyAsync(m => m.Id == mapId, ct))
        {
            return null;
        }

        var position = await db.Set<JourneyStage>().Where(s => s.MapId == mapId).Select(s => (int?)s.Position).MaxAsync(ct) ?? -1;
        db.Set<JourneyStage>().Add(new JourneyStage { MapId = mapId, Name = input.Name.Trim(), Position = position + 1 });
        await db.SaveChangesAsync(ct);
        return await GetAsync(mapId, ct);
    }

    public async Task<JourneyMapDto?> AddTouchpointAsync(Guid mapId, Guid stageId, TouchpointInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Set<JourneyStage>().AnyAsync(s => s.Id == stageId && s.MapId == mapId, ct))
        {
            return null;
        }

        var position = await db.Set<Touchpoint>().Where(t => t.StageId == stageId).Select(t => (int?)t.Position).MaxAsync(ct) ?? -1;
        var touchpoint = new Touchpoint { StageId = stageId, Position = position + 1 };
        Apply(touchpoint, input);
        db.Set<Touchpoint>().Add(touchpoint);
        await db.SaveChangesAsync(ct);
        return await GetAsync(mapId, ct);
    }

    public async Task<JourneyMapDto?> UpdateTouchpointAsync(Guid id, TouchpointInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var touchpoint = await db.Set<Touchpoint>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (touchpoint is null)
        {
            return null;
        }

        Apply(touchpoint, input);
        await db.SaveChangesAsync(ct);
        return await GetAsync(await MapOfAsync(db, id, ct), ct);
    }

    public async Task<JourneyMapDto?> DeleteTouchpointAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var touchpoint = await db.Set<Touchpoint>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (touchpoint is null)
        {
            return null;
        }

        var mapId = await MapOfAsync(db, id, ct);
        db.Remove(touchpoint);
        await db.SaveChangesAsync(ct);
        return await GetAsync(mapId, ct);
    }

    /// <summary>Links a pain point to the feedback that shows it, or to the initiative that addresses it.</summary>
    public async Task<JourneyMapDto?> LinkAsync(Guid touchpointId, TouchpointLink link, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Set<Touchpoint>().AnyAsync(t => t.Id == touchpointId, ct))
        {
            return null;
        }

        if (link.FeedbackId is null == link.InitiativeId is null)
        {
            throw new RequestValidationException("feedbackId", "Link either a feedback item (feedbackId) or an initiative (initiativeId).");
        }

        if (link.FeedbackId is { } feedbackId)
        {
            if (!await db.Feedback.AnyAsync(f => f.Id == feedbackId, ct))
            {
                throw new RequestValidationException("feedbackId", "There is no such feedback item.");
            }

            if (!await db.Set<TouchpointFeedback>().AnyAsync(l => l.TouchpointId == touchpointId && l.FeedbackId == feedbackId, ct))
            {
                db.Set<TouchpointFeedback>().Add(new TouchpointFeedback { TouchpointId = touchpointId, FeedbackId = feedbackId });
            }
        }
        else if (link.InitiativeId is { } initiativeId)
        {
            if (!await db.Initiatives.AnyAsync(i => i.Id == initiativeId, ct))
            {
                throw new RequestValidationException("initiativeId", "There is no such initiative.");
            }

            if (!await db.Set<TouchpointInitiative>().AnyAsync(l => l.TouchpointId == touchpointId && l.InitiativeId == initiativeId, ct))
            {
                db.Set<TouchpointInitiative>().Add(new TouchpointInitiative { TouchpointId = touchpointId, InitiativeId = initiativeId });
            }
        }

        await db.SaveChangesAsync(ct);
        return await GetAsync(await MapOfAsync(db, touchpointId, ct), ct);
    }

    private static Task<Guid> MapOfAsync(PsmDb db, Guid touchpointId, CancellationToken ct) =>
        db.Set<Touchpoint>().Where(t => t.Id == touchpointId)
            .Join(db.Set<JourneyStage>(), t => t.StageId, s => s.Id, (t, s) => s.MapId).SingleAsync(ct);

    private static void Apply(Touchpoint touchpoint, TouchpointInput input)
    {
        touchpoint.Name = input.Name.Trim();
        touchpoint.Channel = input.Channel.Trim();
        touchpoint.Emotion = input.Emotion;
        touchpoint.PainPoint = string.IsNullOrWhiteSpace(input.PainPoint) ? null : input.PainPoint.Trim();
    }
}
