using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.ServiceDesk;

public sealed class TicketEvidenceInput
{
    [Required(ErrorMessage = "Say which tickets: ticketIds is required.")]
    [MinLength(1, ErrorMessage = "Name at least one ticket.")]
    [MaxLength(500, ErrorMessage = "At most 500 tickets at a time.")]
    public List<Guid> TicketIds { get; set; } = [];

    [Required(ErrorMessage = "Choose the initiative the tickets are evidence for.")]
    public Guid? InitiativeId { get; set; }

    public EvidenceImportance Importance { get; set; } = EvidenceImportance.Important;
}

public sealed record TicketEvidenceResult(int Linked, IReadOnlyList<Guid> FeedbackIds);

/// <summary>
/// Support tickets as product evidence. A ticket becomes one feedback item (channel Support ticket, source reference
/// its key, the customer's opening message as text), made once and reused after; linking tickets to an initiative
/// links those items, so tickets count with the rest of the feedback in evidence, prioritisation and RICE reach.
/// </summary>
public sealed class TicketEvidence(IDbContextFactory<PsmDb> dbs, FeedbackInbox inbox)
{
    public async Task<FeedbackDto?> ToFeedbackAsync(Guid ticketId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var ticket = await db.Tickets.AsNoTracking().Where(t => t.Id == ticketId)
            .Select(t => new { t.Number, t.Subject, t.Description, t.CustomerId, t.ProductId, t.ServiceId, t.CreatedAt }).SingleOrDefaultAsync(ct);
        if (ticket is null)
        {
            return null;
        }

        var source = $"T-{ticket.Number}";
        var existing = await db.Feedback.Where(f => f.Channel == FeedbackChannel.SupportTicket && f.SourceRef == source).Select(f => (Guid?)f.Id)
            .FirstOrDefaultAsync(ct);
        if (existing is { } id)
        {
            return await inbox.GetAsync(id, ct);
        }

        var opening = await db.TicketEvents.AsNoTracking().Where(e => e.TicketId == ticketId && e.Kind == TicketEventKind.CustomerMessage)
            .OrderBy(e => e.At).Select(e => e.Text).FirstOrDefaultAsync(ct) ?? ticket.Description;
        var text = opening.Length == 0 ? ticket.Subject : $"{ticket.Subject}: {opening}";
        return await inbox.CreateAsync(new FeedbackInput
        {
            Text = text.Length > 4000 ? text[..4000] : text, Channel = FeedbackChannel.SupportTicket, CustomerId = ticket.CustomerId,
            ProductId = ticket.ProductId, ServiceId = ticket.ServiceId, ReceivedAt = ticket.CreatedAt, SourceRef = source,
        }, ct);
    }

    public async Task<TicketEvidenceResult> LinkAsync(TicketEvidenceInput input, CancellationToken ct = default)
    {
        var ids = input.TicketIds.Distinct().ToList();
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var found = await db.Tickets.CountAsync(t => ids.Contains(t.Id), ct);
            var problems = new List<(string, string)>();
            if (found != ids.Count) problems.Add(("ticketIds", $"{ids.Count - found} of the tickets do not exist."));
            if (input.InitiativeId is not { } initiative || !await db.Initiatives.AnyAsync(i => i.Id == initiative, ct))
            {
                problems.Add(("initiativeId", "There is no such initiative."));
            }

            RequestValidationException.ThrowIfAny(problems);
        }

        var feedback = new List<Guid>();
        foreach (var id in ids)
        {
            feedback.Add((await ToFeedbackAsync(id, ct))!.Id);
        }

        var linked = await inbox.TriageAsync(new TriageRequest
        {
            FeedbackIds = feedback, Action = TriageAction.Link, InitiativeId = input.InitiativeId, Importance = input.Importance,
        }, ct);
        return new TicketEvidenceResult(linked, feedback);
    }
}
