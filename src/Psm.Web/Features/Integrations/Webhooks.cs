using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Integrations;

/// <summary>Webhook subscriptions and their delivery log, for the admin page and the API.</summary>
public sealed class Webhooks(
    IDbContextFactory<PsmDb> dbs, WebhookSecrets secrets, WebhookAddressGuard guard, WebhookDeliverer deliverer, WebhookSignal signal, TimeProvider time,
    IConfiguration config)
{
    public async Task<IReadOnlyList<WebhookDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await DtosAsync(db, db.WebhookSubscriptions.AsNoTracking().OrderBy(s => s.Name).ThenBy(s => s.Id), ct);
    }

    public async Task<WebhookDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await DtosAsync(db, db.WebhookSubscriptions.AsNoTracking().Where(s => s.Id == id), ct)).SingleOrDefault();
    }

    private static async Task<List<WebhookDto>> DtosAsync(PsmDb db, IQueryable<WebhookSubscription> subscriptions, CancellationToken ct) =>
        (await subscriptions.Select(s => new
            {
                S = s,
                Queued = db.WebhookDeliveries.Count(d => d.SubscriptionId == s.Id && d.Status == DeliveryStatus.Queued),
                Cursor = db.WebhookCursors.FirstOrDefault(c => c.SubscriptionId == s.Id),
            })
            .ToListAsync(ct))
        .Select(r => new WebhookDto(r.S.Id, r.S.Name, r.S.Kind, r.S.Url, r.S.Events.Split(',', StringSplitOptions.RemoveEmptyEntries), r.S.Status, r.S.PausedAt,
            r.S.PausedReason, r.S.CreatedAt, r.S.CreatedBy, r.Queued, r.Cursor?.Failures ?? 0, r.Cursor?.RetryAt, r.S.Version))
        .ToList();

    public async Task<WebhookCreated> CreateAsync(WebhookInput input, CancellationToken ct = default)
    {
        var secret = string.IsNullOrWhiteSpace(input.Secret) ? WebhookSecrets.New() : input.Secret.Trim();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = new WebhookSubscription
        {
            CreatedAt = time.GetUtcNow(), CreatedBy = (db.CurrentUser?.Actor ?? Actor.System).Name, SecretCipher = secrets.Protect(secret),
        };
        await ApplyAsync(subscription, input, creating: true, ct);
        db.WebhookSubscriptions.Add(subscription);
        db.WebhookCursors.Add(new WebhookCursor { SubscriptionId = subscription.Id });
        await db.SaveChangesAsync(ct);
        return new WebhookCreated((await GetAsync(subscription.Id, ct))!, secret);
    }

    public async Task<WebhookDto?> UpdateAsync(Guid id, WebhookInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return null;
        }

        if (input.Version is { } version)
        {
            db.ExpectVersion(subscription, version);
        }

        await ApplyAsync(subscription, input, creating: false, ct);
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    private async Task ApplyAsync(WebhookSubscription subscription, WebhookInput input, bool creating, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Trim().Length > 120)
        {
            problems.Add(("name", "Name the subscription (at most 120 characters)."));
        }

        if (!Enum.IsDefined(input.Kind))
        {
            problems.Add(("kind", "The kind is Webhook, Slack or Teams."));
        }

        if (string.IsNullOrWhiteSpace(input.Url) || input.Url.Length > 2000)
        {
            problems.Add(("url", "Give the receiver's address (at most 2000 characters)."));
        }
        else if (await guard.ProblemAsync(input.Url, ct) is { } urlProblem)
        {
            problems.Add(("url", urlProblem));
        }

        var events = (input.Events ?? []).Select(e => e?.Trim() ?? "").Distinct().ToList();
        if (events.Count == 0)
        {
            problems.Add(("events", "Choose at least one event."));
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (!EventTypes.Names.Contains(events[i]))
            {
                problems.Add(($"events[{i}]", $"'{Clip(events[i], 64)}' is not an event PSM sends; GET /api/v1/webhooks/event-types lists them."));
            }
        }

        if (creating && input.Secret is { Length: > 0 } secret && secret.Trim().Length is < 16 or > 200)
        {
            problems.Add(("secret", "A secret of your own has 16 to 200 characters; leave it empty and PSM makes one."));
        }

        RequestValidationException.ThrowIfAny(problems);
        subscription.Name = input.Name.Trim();
        subscription.Kind = input.Kind;
        subscription.Url = input.Url.Trim();
        subscription.Events = string.Join(',', events);
    }

    private static string Clip(string text, int max) => text.Length > max ? text[..max] + "…" : text;

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return false;
        }

        db.WebhookSubscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Pauses (nothing is sent; new events still queue) or resumes (the queue is sent in order, from where it stopped).</summary>
    public async Task<WebhookDto?> SetActiveAsync(Guid id, bool active, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return null;
        }

        subscription.Status = active ? WebhookStatus.Active : WebhookStatus.Paused;
        subscription.PausedAt = active ? null : time.GetUtcNow();
        subscription.PausedReason = active ? null : $"Paused by {(db.CurrentUser?.Actor ?? Actor.System).Name}.";
        await db.SaveChangesAsync(ct);
        if (active)
        {
            await db.WebhookCursors.Where(c => c.SubscriptionId == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.RetryAt, (DateTimeOffset?)null).SetProperty(c => c.Failures, 0), ct);
            signal.Wake();
        }

        return await GetAsync(id, ct);
    }

    public async Task<WebhookCreated?> RotateSecretAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return null;
        }

        var secret = WebhookSecrets.New();
        subscription.SecretCipher = secrets.Protect(secret);
        await db.SaveChangesAsync(ct);
        return new WebhookCreated((await GetAsync(id, ct))!, secret);
    }

    /// <summary>Queues a <c>ping</c> event for this subscription alone (behind what is already queued).</summary>
    public async Task<WebhookDeliveryDto?> SendTestAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.WebhookSubscriptions.AnyAsync(s => s.Id == id, ct))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var ping = new WebhookEvent
        {
            Type = EventTypes.Ping, OccurredAt = now, FannedOut = true,
            Data = EventTypes.Serialize(new { message = $"A test from PSM, sent by {(db.CurrentUser?.Actor ?? Actor.System).Name}.", path = "/admin/webhooks" }),
        };
        var delivery = new WebhookDelivery { SubscriptionId = id, EventId = ping.Id, EventType = ping.Type, OrderKey = now, CreatedAt = now };
        db.WebhookEvents.Add(ping);
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        signal.Wake();
        return Dto(delivery, ping.OccurredAt);
    }

    /// <summary>Sends a delivery's event again (a new delivery at the end of the queue, same event id); allowed whatever its status.</summary>
    public async Task<WebhookDeliveryDto?> ReplayAsync(Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var original = await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (original is null)
        {
            return null;
        }

        var occurred = await db.WebhookEvents.Where(e => e.Id == original.EventId).Select(e => (DateTimeOffset?)e.OccurredAt).SingleOrDefaultAsync(ct)
            ?? throw new RequestValidationException("id", "The event of this delivery is no longer kept; it cannot be sent again.");
        var now = time.GetUtcNow();
        var replay = new WebhookDelivery
        {
            SubscriptionId = original.SubscriptionId, EventId = original.EventId, EventType = original.EventType, OrderKey = now, CreatedAt = now, ReplayOf = original.Id,
        };
        db.WebhookDeliveries.Add(replay);
        await db.SaveChangesAsync(ct);
        signal.Wake();
        return Dto(replay, occurred);
    }

    public async Task<Page<WebhookDeliveryDto>?> DeliveriesAsync(Guid id, DeliveryStatus? status, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.WebhookSubscriptions.AnyAsync(s => s.Id == id, ct))
        {
            return null;
        }

        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == id);
        if (status is { } s)
        {
            query = query.Where(d => d.Status == s);
        }

        if (page.NewestFirstAfter() is ({ } at, { } after))
        {
            query = query.Seek(d => d.OrderKey, d => d.Id, at, after, descending: true);
        }

        var rows = await query.OrderByDescending(d => d.OrderKey).ThenByDescending(d => d.Id).Take(page.Limit + 1)
            .Select(d => new { D = d, Occurred = db.WebhookEvents.Where(e => e.Id == d.EventId).Select(e => (DateTimeOffset?)e.OccurredAt).FirstOrDefault() })
            .ToListAsync(ct);
        // The cursor is the queue's order key (a replay's is its own time, not its event's).
        var orderKeys = rows.ToDictionary(r => r.D.Id, r => r.D.OrderKey);
        return page.ToPage(rows.Select(r => Dto(r.D, r.Occurred ?? r.D.OrderKey)).ToList(), d => PageRequest.NewestFirstKey(orderKeys[d.Id], d.Id));
    }

    public async Task<WebhookDeliveryDetail?> DeliveryAsync(Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var delivery = await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (delivery is null)
        {
            return null;
        }

        var e = await db.WebhookEvents.AsNoTracking().SingleOrDefaultAsync(x => x.Id == delivery.EventId, ct);
        var kind = await db.WebhookSubscriptions.Where(s => s.Id == delivery.SubscriptionId).Select(s => s.Kind).SingleAsync(ct);
        var attempts = await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.At).ThenBy(a => a.Id)
            .Select(a => new WebhookAttemptDto(a.At, a.StatusCode, a.LatencyMs, a.Response, a.Error)).ToListAsync(ct);
        return new WebhookDeliveryDetail(Dto(delivery, e?.OccurredAt ?? delivery.OrderKey), e is null ? "" : deliverer.Body(kind, e.Id, e.Type, e.OccurredAt, e.Data), attempts);
    }

    private static WebhookDeliveryDto Dto(WebhookDelivery d, DateTimeOffset occurred) =>
        new(d.Id, d.SubscriptionId, d.EventId, d.EventType, occurred, d.Status, d.Attempts, d.LastStatusCode, d.LastError, d.DeliveredAt, d.ReplayOf);

    /// <summary>Drops finished deliveries (and their attempts) and fanned-out events older than <c>Webhooks:KeepDays</c>, and expired idempotency answers.</summary>
    public async Task PurgeAsync(CancellationToken ct = default)
    {
        var before = time.GetUtcNow().AddDays(-Math.Max(1, config.GetValue("Webhooks:KeepDays", 30)));
        await using var db = await dbs.CreateDbContextAsync(ct);
        var old = db.WebhookDeliveries.Where(d => d.Status != DeliveryStatus.Queued && d.CreatedAt < before);
        await db.WebhookAttempts.Where(a => old.Any(d => d.Id == a.DeliveryId)).ExecuteDeleteAsync(ct);
        await old.ExecuteDeleteAsync(ct);
        await db.WebhookEvents.Where(e => e.FannedOut && e.OccurredAt < before && !db.WebhookDeliveries.Any(d => d.EventId == e.Id)).ExecuteDeleteAsync(ct);
        // The hourly tidy-up also drops Idempotency-Key answers past their 24 hours.
        await Idempotency.PurgeAsync(db, time.GetUtcNow(), ct);
    }
}

/// <summary>
/// Writes <c>objective.at_risk</c> when an active objective turns at risk (progress behind the share of its period
/// spent by more than the margin): compares each with what it was when last looked at, under a lease.
/// </summary>
public sealed class ObjectiveRiskWatch(IDbContextFactory<PsmDb> dbs, Objectives objectives, TimeProvider time)
{
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        if (!await Leases.TryTakeAsync(db, "objective-risk-watch", Leases.ThisInstance, TimeSpan.FromMinutes(2), now, ct))
        {
            return 0;
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var active = await objectives.ActiveOnAsync(db, today, ct);
        var known = await db.ObjectiveRiskStates.ToDictionaryAsync(s => s.ObjectiveId, ct);
        var turned = 0;
        foreach (var o in active)
        {
            if (!known.TryGetValue(o.Id, out var state))
            {
                // First sight is the baseline: an objective is reported when it turns at risk, not for being at risk when first looked at.
                db.ObjectiveRiskStates.Add(new ObjectiveRiskState { ObjectiveId = o.Id, AtRisk = o.AtRisk, Since = now });
                continue;
            }

            if (o.AtRisk && !state.AtRisk)
            {
                turned++;
                db.WebhookEvents.Add(new WebhookEvent
                {
                    Type = EventTypes.ObjectiveAtRisk, OccurredAt = now,
                    Data = EventTypes.Serialize(new
                    {
                        objectiveId = o.Id, name = o.Title, o.Type, progressPercent = Math.Round(o.Progress ?? 0, 1),
                        elapsedPercent = Math.Round(AtRisk.Elapsed(o.PeriodStart, o.PeriodEnd, today) * 100, 1), o.PeriodStart, o.PeriodEnd,
                        path = $"/objectives/{o.Id}",
                    }),
                });
            }

            if (o.AtRisk != state.AtRisk)
            {
                state.AtRisk = o.AtRisk;
                state.Since = now;
            }
        }

        var activeIds = active.Select(o => o.Id).ToHashSet();
        db.ObjectiveRiskStates.RemoveRange(known.Values.Where(s => !activeIds.Contains(s.ObjectiveId)));
        await db.SaveChangesAsync(ct);
        await Leases.ReleaseAsync(db, "objective-risk-watch", Leases.ThisInstance, ct);
        return turned;
    }
}
