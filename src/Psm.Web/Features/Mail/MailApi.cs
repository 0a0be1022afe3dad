using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.Web.Features.Mail;

public static class MailApi
{
    public static RouteGroupBuilder MapMailApi(this RouteGroupBuilder api)
    {
        var mail = api.MapGroup("/mail").WithTags("Mail");
        mail.MapGet("/mailboxes", (Mailboxes m, CancellationToken ct) => m.ListAsync(ct)).WithName("ListMailboxes")
            .WithSummary("Mailboxes PSM reads and answers from, with when each was last read and what went wrong; passwords are never returned.");
        mail.MapGet("/mailboxes/{id:guid}", (Guid id, Mailboxes m, CancellationToken ct) => ApiResults.Found(m.GetAsync(id, ct))).WithName("GetMailbox")
            .WithSummary("One mailbox (hasImapPassword / hasSmtpPassword say whether a password is stored).");
        mail.MapPost("/mailboxes", async (MailboxInput input, Mailboxes m, CancellationToken ct) =>
            {
                var mailbox = await m.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/mail/mailboxes/{mailbox.Id}", mailbox);
            })
            .WithName("CreateMailbox")
            .WithSummary("Adds a mailbox: IMAP (host, port, security, user, password, folder), SMTP for replies, and what new mail becomes (a ticket for a team, or feedback).")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapPut("/mailboxes/{id:guid}", (Guid id, MailboxInput input, Mailboxes m, CancellationToken ct) => ApiResults.Found(m.UpdateAsync(id, input, ct)))
            .WithName("UpdateMailbox").WithSummary("Changes a mailbox; an empty password keeps the stored one. Send the version you read (409 if it changed).")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapDelete("/mailboxes/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Mailboxes m, CancellationToken ct) =>
                await m.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteMailbox").WithSummary("Removes a mailbox; the tickets and mail it brought stay.").RequireAuthorization(Permissions.MailManage);
        mail.MapPost("/mailboxes/{id:guid}/fetch", (Guid id, MailFetcher f, CancellationToken ct) => ApiResults.Found(f.FetchAsync(id, ct)))
            .WithName("FetchMailbox")
            .WithSummary("Reads the mailbox now (it is also read every minute) and says what its new mail became; if another fetch is reading it, says so and reads nothing.")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapGet("/quarantine", (Mailboxes m, CancellationToken ct) => m.QuarantineAsync(ct)).WithName("ListQuarantinedMail")
            .WithSummary("Messages PSM could not read (broken MIME, an unknown charset, over the size limit), each with the reason.");
        mail.MapPost("/quarantine/{id:guid}/retry", async Task<Results<Ok<QuarantineRetryResult>, NotFound>> (Guid id, MailFetcher f, CancellationToken ct) =>
                await f.RetryAsync(id, ct) is { } outcome ? TypedResults.Ok(new QuarantineRetryResult(outcome)) : TypedResults.NotFound())
            .WithName("RetryQuarantinedMail")
            .WithSummary("Reads a quarantined message again from the server as well as PSM can (size limit waived, unknown charsets as UTF-8).")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapDelete("/quarantine/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Mailboxes m, CancellationToken ct) =>
                await m.DropAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DropQuarantinedMail").WithSummary("Drops a quarantined message: PSM will not read it (it stays on the mail server).")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapGet("/outbox", (OutboxStatus? status, int? limit, OutboxSender s, CancellationToken ct) => s.ListAsync(status, limit ?? 100, ct)).WithName("ListOutbox")
            .WithSummary("Outgoing messages, newest first: queued (with the next attempt and the last error), sent, or failed (with the server's answer).");
        mail.MapPost("/outbox/send", (OutboxSender s, CancellationToken ct) => s.SendDueAsync(ct)).WithName("SendOutbox")
            .WithSummary("Sends what is due now (the sender also runs every few seconds).").RequireAuthorization(Permissions.MailManage);
        mail.MapPost("/outbox/{id:guid}/retry", (Guid id, OutboxSender s, CancellationToken ct) => ApiResults.Found(s.RetryAsync(id, ct)))
            .WithName("RetryOutboxMessage").WithSummary("Makes a queued or failed message due now, after its cause was fixed; a sent one is never sent again.")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapGet("/templates", (MailTemplates t, CancellationToken ct) => t.ListAsync(ct)).WithName("ListMailTemplates")
            .WithSummary("The wording of each kind of mail PSM sends (ticket reply, satisfaction survey, survey invitation), with the placeholders it knows.");
        mail.MapPut("/templates/{kind}", (MailTemplateKind kind, MailTemplateInput input, MailTemplates t, CancellationToken ct) => t.SaveAsync(kind, input, ct))
            .WithName("SaveMailTemplate")
            .WithSummary("Changes a mail's wording. Unknown {{placeholders}} and missing required ones ({{reply}}, {{link}}, {{unsubscribe}}) are refused, naming them.")
            .RequireAuthorization(Permissions.MailManage);
        mail.MapDelete("/templates/{kind}", (MailTemplateKind kind, MailTemplates t, CancellationToken ct) => t.ResetAsync(kind, ct))
            .WithName("ResetMailTemplate").WithSummary("Goes back to PSM's default wording.").RequireAuthorization(Permissions.MailManage);
        mail.MapPost("/templates/{kind}/preview", (MailTemplateKind kind, MailTemplateInput input) => MailTemplates.Preview(kind, input))
            .WithName("PreviewMailTemplate").WithSummary("The mail as a customer would get it, filled with example values.");
        return api;
    }

    /// <summary>Survey waves by e-mail, for whoever runs surveys (under the feedback area).</summary>
    public static RouteGroupBuilder MapSurveyMailApi(this RouteGroupBuilder api)
    {
        api.MapPost("/surveys/{id:guid}/invitations", (Guid id, WaveMailInput input, SurveyMail m, CancellationToken ct) => ApiResults.Found(m.SendWaveAsync(id, input, ct)))
            .WithTags("Feedback").WithName("SendSurveyInvitations")
            .WithSummary("E-mails the survey's current wave to a segment's contacts (or everyone's) whose company consented to survey invitations: one per contact per wave, "
                         + "each with a personal link and an unsubscribe link; says who was left out and why.")
            .RequireAuthorization(Permissions.SurveysManage);
        api.MapGet("/surveys/{id:guid}/invitations/waves", async Task<Results<Ok<IReadOnlyList<WaveFiguresDto>>, NotFound>> (Guid id, SurveyMail m, CancellationToken ct) =>
                await m.WavesAsync(id, ct) is { } waves ? TypedResults.Ok(waves) : TypedResults.NotFound())
            .WithTags("Feedback").WithName("ListSurveyInvitationWaves")
            .WithSummary("Per e-mailed wave: invited, sent (the mail server took it), bounced, delivered (sent less bounced), answered, and the response rate (answered / delivered).");
        return api;
    }

    /// <summary>The unsubscribe link's one-click form (RFC 8058), without signing in.</summary>
    public static IEndpointRouteBuilder MapPublicUnsubscribeApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/public/unsubscribe/{token}", async Task<Results<NoContent, NotFound>> (string token, SurveyMail m, CancellationToken ct) =>
                await m.UnsubscribeAsync(token, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithTags("Public surveys").WithName("Unsubscribe")
            .WithSummary("Stops survey mail to the contact an invitation went to, at once (mail clients' one-click unsubscribe posts here).")
            .AllowAnonymous().RequireRateLimiting(Infrastructure.RateLimits.PublicLinks).DisableAntiforgery();
        return app;
    }
}

/// <summary>What a quarantined message became when it was read again (Quarantined again, with a new reason, if it still cannot be read).</summary>
public sealed record QuarantineRetryResult(IngestOutcome Outcome);
