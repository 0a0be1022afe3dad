using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Psm.Web.Data;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Integrations;

/// <summary>The events PSM tells other systems about: their names (stable, part of the API) and what they mean.</summary>
public static class EventTypes
{
    public const string TicketCreated = "ticket.created";
    public const string TicketStatusChanged = "ticket.status_changed";
    public const string TicketResolved = "ticket.resolved";
    public const string TicketEscalated = "ticket.escalated";
    public const string TicketSlaBreached = "ticket.sla_breached";
    public const string FeedbackCreated = "feedback.created";
    public const string SurveyResponseReceived = "survey.response_received";
    public const string ObjectiveAtRisk = "objective.at_risk";
    public const string KeyResultCheckedIn = "key_result.checked_in";
    public const string InitiativeStatusChanged = "initiative.status_changed";
    public const string CampaignStatusChanged = "campaign.status_changed";
    public const string CustomerConsentChanged = "customer.consent_changed";
    public const string DecisionRecorded = "decision.recorded";
    public const string AlertFired = "alert.fired";

    /// <summary>Sent only by "Send test" to one subscription; never fanned out.</summary>
    public const string Ping = "ping";

    public static readonly IReadOnlyList<EventTypeDto> All =
    [
        new(TicketCreated, "A ticket was opened (by an agent, the API, an e-mail, a chat or the help centre).", false),
        new(TicketStatusChanged, "A ticket moved to another status (data.from, data.to).", false),
        new(TicketResolved, "A ticket was resolved.", false),
        new(TicketEscalated, "A ticket was escalated: by hand, or by the SLA monitor because it is about to breach.", true),
        new(TicketSlaBreached, "A ticket missed its first-response or resolution target (data.target); occurredAt is the due time.", true),
        new(FeedbackCreated, "A piece of feedback arrived (typed in, imported, from mail or a survey comment).", false),
        new(SurveyResponseReceived, "A survey was answered (NPS, CSAT or CES; data.score).", false),
        new(ObjectiveAtRisk, "An active objective's progress fell behind the share of its period spent (checked every few minutes).", true),
        new(KeyResultCheckedIn, "A key result got a check-in (data.value, data.confidence).", false),
        new(InitiativeStatusChanged, "An initiative moved on the roadmap (data.from, data.to).", false),
        new(CampaignStatusChanged, "A campaign changed status (data.from, data.to).", false),
        new(CustomerConsentChanged, "A customer's consent for a purpose was granted or withdrawn.", false),
        new(DecisionRecorded, "A decision was recorded in the decision log.", false),
        new(AlertFired, "An alert rule fired for its last complete period (data.metric, data.value, data.previous, data.pValue); once per rule and period.", true),
    ];

    public static readonly IReadOnlySet<string> Names = All.Select(t => t.Type).ToHashSet();

    /// <summary>The events a chat-tool subscription starts with: escalations, breaches, objectives at risk.</summary>
    public static IReadOnlyList<string> ForChat => All.Where(t => t.ForChat).Select(t => t.Type).ToList();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static string Serialize(object data) => JsonSerializer.Serialize(data, Json);
}

/// <summary>
/// Turns tracked changes into events in the same SaveChanges, so an event exists exactly when its change
/// committed. Changes made with set-based SQL (SLA breaches, near-breach escalations) write their events themselves.
/// </summary>
public sealed class EventInterceptor(TimeProvider time, WebhookSignal signal) : SaveChangesInterceptor
{
    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        WakeIfEvents(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        WakeIfEvents(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void WakeIfEvents(DbContext? context)
    {
        if (context is PsmDb db && db.ChangeTracker.Entries<WebhookEvent>().Any())
        {
            signal.Wake();
        }
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Record(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Record(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Record(DbContext? context)
    {
        if (context is not PsmDb { SuppressEvents: false } db)
        {
            return;
        }

        List<WebhookEvent>? events = null;
        var now = time.GetUtcNow();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            foreach (var (type, data) in Describe(entry))
            {
                (events ??= []).Add(new WebhookEvent { Type = type, OccurredAt = now, Data = EventTypes.Serialize(data) });
            }
        }

        if (events is not null)
        {
            db.WebhookEvents.AddRange(events);
        }
    }

    private static IEnumerable<(string Type, object Data)> Describe(EntityEntry entry)
    {
        var added = entry.State == EntityState.Added;
        switch (entry.Entity)
        {
            case Ticket t:
                if (added)
                {
                    yield return (EventTypes.TicketCreated, TicketData(t));
                    yield break;
                }

                if (Changed(entry, nameof(Ticket.Status), out TicketStatus from))
                {
                    yield return (EventTypes.TicketStatusChanged, new { ticket = TicketData(t), from, to = t.Status });
                    if (t.Status == TicketStatus.Resolved)
                    {
                        yield return (EventTypes.TicketResolved, TicketData(t));
                    }
                }

                if (Changed(entry, nameof(Ticket.EscalationLevel), out int level) && t.EscalationLevel > level)
                {
                    yield return (EventTypes.TicketEscalated, new { ticket = TicketData(t), level = t.EscalationLevel, reason = "by hand" });
                }

                break;
            case FeedbackItem f when added:
                yield return (EventTypes.FeedbackCreated, Feedback(f));
                break;
            case SurveyResponse r when added:
                yield return (EventTypes.SurveyResponseReceived, Response(r));
                break;
            case CheckIn c when added:
                yield return (EventTypes.KeyResultCheckedIn, new
                {
                    checkInId = c.Id, keyResultId = c.KeyResultId, c.Date, c.Value, c.Confidence, c.Note, by = c.UserName,
                });
                break;
            case Initiative i when !added && Changed(entry, nameof(Initiative.Status), out InitiativeStatus was):
                yield return (EventTypes.InitiativeStatusChanged, new { initiativeId = i.Id, i.Name, from = was, to = i.Status, path = $"/roadmap/initiatives/{i.Id}" });
                break;
            case Campaign c when !added && Changed(entry, nameof(Campaign.Status), out CampaignStatus was):
                yield return (EventTypes.CampaignStatusChanged, new { campaignId = c.Id, c.Name, from = was, to = c.Status, path = $"/campaigns/{c.Id}" });
                break;
            case ConsentEvent e when added:
                yield return (EventTypes.CustomerConsentChanged, new { customerId = e.CustomerId, e.Purpose, e.Granted, e.Source, path = $"/customers/{e.CustomerId}" });
                break;
            case Decision d when added:
                yield return (EventTypes.DecisionRecorded, new { decisionId = d.Id, d.Title, d.Outcome, d.DecidedOn, d.DecidedBy, path = "/alignment/decisions" });
                break;
        }
    }

    private static bool Changed<T>(EntityEntry entry, string property, out T original)
    {
        var p = entry.Property(property);
        original = (T)p.OriginalValue!;
        return p.IsModified && !Equals(p.OriginalValue, p.CurrentValue);
    }

    public static object TicketData(Ticket t) => new
    {
        ticketId = t.Id, key = $"T-{t.Number}", t.Subject, t.Status, t.Priority, t.Channel, t.CustomerId, t.TeamId, t.AssigneeId, t.CreatedAt,
        path = $"/service/tickets/{t.Id}",
    };

    public static object Response(SurveyResponse r) => new
    {
        responseId = r.Id, surveyId = r.SurveyId, r.Score, r.Comment, r.CustomerId, r.Channel, r.RespondedAt, r.TicketId, path = $"/surveys/{r.SurveyId}",
    };

    /// <summary>The event for a row written in bulk (past the interceptor), or null when such rows make none.</summary>
    public static WebhookEvent? ForBulkRow(object row, DateTimeOffset now) => row switch
    {
        FeedbackItem f => new WebhookEvent { Type = EventTypes.FeedbackCreated, OccurredAt = now, Data = EventTypes.Serialize(Feedback(f)) },
        SurveyResponse r => new WebhookEvent { Type = EventTypes.SurveyResponseReceived, OccurredAt = now, Data = EventTypes.Serialize(Response(r)) },
        _ => null,
    };

    public static object Feedback(FeedbackItem f) => new
    {
        feedbackId = f.Id, text = f.Text.Length > 1000 ? f.Text[..1000] : f.Text, f.Channel, f.CustomerId, f.ProductId, f.ServiceId, f.Rating,
        f.SentimentLabel, f.ReceivedAt, path = "/feedback",
    };
}
