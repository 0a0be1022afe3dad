using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Mail;

public sealed class WaveMailInput
{
    /// <summary>The segment whose contacts are invited (id or name); empty: every customer.</summary>
    public string? Segment { get; set; }

    /// <summary>The mailbox it goes out from; empty: the first enabled one.</summary>
    public Guid? MailboxId { get; set; }
}

/// <summary>What sending a wave did: who was invited now, and who was left out and why.</summary>
public sealed record WaveMailResult(int Wave, int Invited, int AlreadyInvited, int WithoutConsent, int Unsubscribed, int Bouncing);

/// <summary>The invitation behind an unsubscribe link, as the page shows it.</summary>
public sealed record UnsubscribeView(string Company, string Email, bool AlreadyUnsubscribed);

/// <summary>
/// Survey waves by e-mail: each contact of the segment whose company consented to survey invitations (a
/// consent purpose of its own) gets one invitation per wave, with a personal link (one answer) and an
/// unsubscribe link that works without signing in and stops survey mail to that contact at once.
/// </summary>
public sealed class SurveyMail(IDbContextFactory<PsmDb> dbs, TimeProvider time, PublicAddress address)
{
    public async Task<WaveMailResult?> SendWaveAsync(Guid surveyId, WaveMailInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var survey = await db.Surveys.AsNoTracking().SingleOrDefaultAsync(s => s.Id == surveyId, ct);
        if (survey is null)
        {
            return null;
        }

        if (survey.Status == SurveyStatus.Closed)
        {
            throw new RequestValidationException("survey", "This survey is closed; reopen it (or start a new wave) before inviting anyone.");
        }

        var mailbox = input.MailboxId is { } id
            ? await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct) ?? throw new RequestValidationException("mailboxId", "There is no such mailbox.")
            : await OutgoingMail.FirstEnabledAsync(db, ct)
              ?? throw new RequestValidationException("mailboxId", "There is no mailbox to send from: add one on the Mailboxes page first.");
        var customers = string.IsNullOrWhiteSpace(input.Segment)
            ? db.Customers.Where(c => c.ArchivedAt == null).Select(c => c.Id)
            : await Customers.Audiences.MemberIdsAsync(db, input.Segment.Trim(), ct);
        var contacts = db.CustomerContacts.AsNoTracking().Where(c => customers.Contains(c.CustomerId));
        var invited = db.SurveyInvitations.Where(i => i.SurveyId == surveyId && i.Wave == survey.Wave && i.ContactId != null).Select(i => i.ContactId!.Value);
        var counts = await contacts.GroupBy(_ => 1).Select(g => new
        {
            Already = g.Count(c => invited.Contains(c.Id)),
            WithoutConsent = g.Count(c => !invited.Contains(c.Id) && !db.Customers.Any(x => x.Id == c.CustomerId && x.SurveyConsent)),
            Unsubscribed = g.Count(c => !invited.Contains(c.Id) && c.SurveysOptedOutAt != null && db.Customers.Any(x => x.Id == c.CustomerId && x.SurveyConsent)),
            Bouncing = g.Count(c => !invited.Contains(c.Id) && c.SurveysOptedOutAt == null && c.BouncedAt != null && db.Customers.Any(x => x.Id == c.CustomerId && x.SurveyConsent)),
        }).SingleOrDefaultAsync(ct);
        var eligible = await contacts
            .Where(c => !invited.Contains(c.Id) && c.SurveysOptedOutAt == null && c.BouncedAt == null && db.Customers.Any(x => x.Id == c.CustomerId && x.SurveyConsent))
            .OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.CustomerId, c.Name, c.Email, Company = db.Customers.Where(x => x.Id == c.CustomerId).Select(x => x.Name).Single() })
            .ToListAsync(ct);

        var now = time.GetUtcNow();
        var baseUrl = address.Base;
        var (subject, body) = await MailTemplates.WordingAsync(db, MailTemplateKind.SurveyInvitation, ct);
        foreach (var batch in eligible.Chunk(500))
        {
            foreach (var contact in batch)
            {
                var invitation = new SurveyInvitation { SurveyId = survey.Id, CustomerId = contact.CustomerId, ContactId = contact.Id, Wave = survey.Wave, CreatedAt = now };
                db.SurveyInvitations.Add(invitation);
                var values = new Dictionary<string, string>
                {
                    ["link"] = baseUrl + invitation.PublicPath, ["unsubscribe"] = $"{baseUrl}/u/{invitation.Token}", ["survey.name"] = survey.Name,
                    ["survey.question"] = survey.Question, ["contact.name"] = contact.Name, ["customer.name"] = contact.Company, ["mailbox"] = mailbox.Name,
                };
                var mail = MailTemplates.Render(MailTemplateKind.SurveyInvitation, subject, body, values);
                var message = OutgoingMail.Queue(db, mailbox, contact.Email, mail.Subject, mail.Text, now);
                (message.SurveyInvitationId, message.UnsubscribeUrl) = (invitation.Id, values["unsubscribe"]);
            }

            // One invitation per contact per wave: the unique index refuses a second, even from a request running beside this one.
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        return new WaveMailResult(survey.Wave, eligible.Count, counts?.Already ?? 0, counts?.WithoutConsent ?? 0, counts?.Unsubscribed ?? 0, counts?.Bouncing ?? 0);
    }

    public async Task<IReadOnlyList<WaveFiguresDto>?> WavesAsync(Guid surveyId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Surveys.AnyAsync(s => s.Id == surveyId, ct) ? await InvitationMetric.WavesAsync(db, surveyId, ct) : null;
    }

    public async Task<IReadOnlyList<NamedRef>> SegmentsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Segments.AsNoTracking().OrderBy(s => s.Name).Select(s => new NamedRef(s.Id, s.Name)).ToListAsync(ct);
    }

    public async Task<UnsubscribeView?> FindAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.SurveyInvitations.AsNoTracking().Where(i => i.Token == token && i.ContactId != null)
            .Join(db.CustomerContacts, i => i.ContactId, c => c.Id, (i, c) => new UnsubscribeView(
                db.Customers.Where(x => x.Id == c.CustomerId).Select(x => x.Name).Single(), c.Email, c.SurveysOptedOutAt != null))
            .SingleOrDefaultAsync(ct);
    }

    /// <summary>Stops survey mail to the contact the invitation went to, at once (the next wave leaves them out); recorded in the company's consent history.</summary>
    public async Task<bool> UnsubscribeAsync(string token, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var contact = await db.SurveyInvitations.Where(i => i.Token == token && i.ContactId != null)
            .Join(db.CustomerContacts, i => i.ContactId, c => c.Id, (i, c) => c).SingleOrDefaultAsync(ct);
        if (contact is null)
        {
            return false;
        }

        if (contact.SurveysOptedOutAt is null)
        {
            var now = time.GetUtcNow();
            contact.SurveysOptedOutAt = now;
            db.ConsentEvents.Add(new Customers.ConsentEvent
            {
                CustomerId = contact.CustomerId, Purpose = Customers.ConsentPurpose.Surveys, Granted = false, At = now,
                Source = $"unsubscribe link ({contact.Email} only)", RecordedBy = contact.Email,
            });
            // Invitations to them that have not gone out yet do not go.
            var pending = db.MailMessages.Where(m => m.ToAddress == contact.Email && m.SurveyInvitationId != null).Select(m => m.Id);
            await db.Outbox.Where(o => pending.Contains(o.Reference) && o.Status == Infrastructure.Outbox.OutboxStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, Infrastructure.Outbox.OutboxStatus.Failed).SetProperty(o => o.LastError, "Not sent: the contact unsubscribed."), ct);
            await db.SaveChangesAsync(ct);
        }

        return true;
    }
}
