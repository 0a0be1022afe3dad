using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Psm.Web.Data;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Outbox;

namespace Psm.Web.Features.Mail;

/// <summary>Mailbox passwords, protected with ASP.NET Data Protection before they are stored.</summary>
public sealed class MailSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("Psm.Mail.MailboxSecrets");

    public string Protect(string secret) => secret.Length == 0 ? "" : protector.Protect(secret);

    /// <summary>The password, or an explanation when the keys that protected it are gone (enter it again).</summary>
    public string Unprotect(string stored, string what)
    {
        if (stored.Length == 0)
        {
            return "";
        }

        try
        {
            return protector.Unprotect(stored);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"The stored {what} password cannot be read with this instance's keys; enter it again.", e);
        }
    }
}

/// <summary>Mail PSM sends: written to the outbox with the change that causes it, delivered by <see cref="MailChannel"/>.</summary>
public static class OutgoingMail
{
    public const string Channel = "mail";

    /// <summary>
    /// Queues an agent's public reply to the customer when the ticket is an e-mail conversation (it came in
    /// by mail, or its channel is e-mail): from the mailbox it came through (else the team's, else the first
    /// enabled one), to the contact (else the customer), with the ticket key in the subject and the
    /// threading headers of the mails before it. Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    public static async Task<MailMessage?> QueueReplyAsync(
        PsmDb db, Ticket ticket, TicketEvent reply, DateTimeOffset now, CancellationToken ct, IReadOnlyList<ServiceDesk.ReplyAttachmentInput>? attachments = null)
    {
        if (await ReplyRouteAsync(db, ticket, ct) is not { } route)
        {
            return null;
        }

        var (mailbox, to, thread) = route;

        var agent = db.CurrentUser?.Actor.UserId is { } userId
            ? await db.Users.Where(u => u.Id == userId).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) ?? reply.Actor
            : reply.Actor;
        var values = await TicketValuesAsync(db, ticket, mailbox, ct);
        values["reply"] = reply.Text;
        values["agent"] = agent;
        var mail = await MailTemplates.RenderAsync(db, MailTemplateKind.TicketReply, values, ct);
        var message = Queue(db, mailbox, to, (thread.Count > 0 ? "Re: " : "") + mail.Subject, $"{MailReading.ReplyAbove}\n\n{mail.Text}", now, ticket,
            thread.LastOrDefault(), thread.TakeLast(20));
        message.TicketEventId = reply.Id;
        foreach (var file in attachments ?? [])
        {
            db.MailAttachments.Add(new MailAttachment
            {
                MailMessageId = message.Id, FileName = Path.GetFileName(file.FileName.Trim()), ContentType = file.ContentType is { Length: > 0 } type ? type : "application/octet-stream",
                Size = file.Content.Length, Content = file.Content,
            });
        }

        return message;
    }

    /// <summary>
    /// Where an agent's reply to this ticket is mailed: an e-mail conversation (it came in by mail, or its channel is
    /// e-mail) with an address and a mailbox to send from; null when replies stay in PSM.
    /// </summary>
    public static async Task<(Mailbox Mailbox, string To, List<string> Thread)?> ReplyRouteAsync(PsmDb db, Ticket ticket, CancellationToken ct)
    {
        var thread = await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticket.Id).OrderBy(m => m.At).ThenBy(m => m.Id)
            .Select(m => m.MessageId).ToListAsync(ct);
        if (thread.Count == 0 && ticket.Channel != TicketChannel.Email)
        {
            return null;
        }

        var mailbox = await MailboxForAsync(db, ticket, ct);
        var to = ticket.ContactId is { } contact
            ? await db.CustomerContacts.Where(c => c.Id == contact).Select(c => c.Email).SingleOrDefaultAsync(ct)
            : await db.Customers.Where(c => c.Id == ticket.CustomerId).Select(c => c.Email).SingleOrDefaultAsync(ct);
        return mailbox is null || string.IsNullOrWhiteSpace(to) ? null : (mailbox, to, thread);
    }

    /// <summary>
    /// When a ticket is resolved and its team sends satisfaction surveys by e-mail: the invitation with its personal
    /// link, after the team's delay, threaded on the ticket's mail. Nothing when the contact (or customer) withdrew
    /// survey consent, unsubscribed, or there is no address or mailbox. Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    public static async Task<MailMessage?> QueueSatisfactionSurveyAsync(PsmDb db, Ticket ticket, Feedback.SurveyInvitation invitation, string publicUrl, DateTimeOffset now, CancellationToken ct)
    {
        var team = ticket.TeamId is { } teamId ? await db.Teams.AsNoTracking().SingleOrDefaultAsync(t => t.Id == teamId, ct) : null;
        if (team is not { CsatByEmail: true })
        {
            return null;
        }

        var customer = await db.Customers.AsNoTracking().Where(c => c.Id == ticket.CustomerId).Select(c => new { c.Email, c.SurveyConsent, Withdrawn = db.ConsentEvents
            .Where(e => e.CustomerId == c.Id && e.Purpose == Customers.ConsentPurpose.Surveys).OrderByDescending(e => e.At).Select(e => (bool?)!e.Granted).FirstOrDefault() }).SingleAsync(ct);
        var contact = ticket.ContactId is { } contactId
            ? await db.CustomerContacts.AsNoTracking().Where(c => c.Id == contactId).Select(c => new { c.Email, c.SurveysOptedOutAt }).SingleOrDefaultAsync(ct)
            : null;
        var to = contact?.Email ?? customer.Email;
        var mailbox = await MailboxForAsync(db, ticket, ct);
        if (customer.Withdrawn == true || contact?.SurveysOptedOutAt is not null || mailbox is null || string.IsNullOrWhiteSpace(to))
        {
            return null;
        }

        var thread = await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticket.Id).OrderBy(m => m.At).ThenBy(m => m.Id).Select(m => m.MessageId).ToListAsync(ct);
        var values = await TicketValuesAsync(db, ticket, mailbox, ct);
        values["link"] = publicUrl.TrimEnd('/') + invitation.PublicPath;
        var mail = await MailTemplates.RenderAsync(db, MailTemplateKind.CsatInvitation, values, ct);
        var message = Queue(db, mailbox, to, mail.Subject, $"{MailReading.ReplyAbove}\n\n{mail.Text}", now, ticket, thread.LastOrDefault(), thread.TakeLast(20),
            sendAt: now.AddMinutes(Math.Max(0, team.CsatDelayMinutes)));
        message.SurveyInvitationId = invitation.Id;
        return message;
    }

    /// <summary>
    /// A chat visitor left a message while nobody was available: a copy goes to them at once, from the ticket's mailbox and
    /// with its key in the subject, so their answer threads onto the ticket and the agent's replies are e-mailed.
    /// Null without a mailbox. Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    public static async Task<MailMessage?> QueueChatAcknowledgementAsync(PsmDb db, Ticket ticket, string message, DateTimeOffset now, CancellationToken ct)
    {
        var to = ticket.ContactId is { } contact ? await db.CustomerContacts.Where(c => c.Id == contact).Select(c => c.Email).SingleOrDefaultAsync(ct) : null;
        if (string.IsNullOrWhiteSpace(to) || await MailboxForAsync(db, ticket, ct) is not { } mailbox)
        {
            return null;
        }

        var quoted = string.Join("\n", message.ReplaceLineEndings("\n").Split('\n').Select(l => "> " + l));
        return Queue(db, mailbox, to, $"[{ticket.Key}] We got your message: {ticket.Subject}",
            $"{MailReading.ReplyAbove}\n\nThank you for writing. Nobody could chat at that moment, so your message is request {ticket.Key}; we will answer you by e-mail. To add anything, reply to this message.\n\n{quoted}\n\n{mailbox.Name}",
            now, ticket);
    }

    /// <summary>Queues a notification as mail to a PSM user (see <see cref="QueueToUserAsync"/>).</summary>
    public static Task<MailMessage?> QueueNotificationAsync(
        PsmDb db, string to, string name, string text, string link, string publicUrl, DateTimeOffset now, CancellationToken ct)
    {
        var root = publicUrl.TrimEnd('/');
        return QueueToUserAsync(db, to, MailTemplateKind.Notification, new Dictionary<string, string>
        {
            ["notification"] = text, ["link"] = root + link, ["settings"] = root + "/account/notifications", ["user.name"] = name,
        }, now, ct);
    }

    /// <summary>Queues an admin-issued password-reset link to the user (see <see cref="QueueToUserAsync"/>).</summary>
    public static Task<MailMessage?> QueuePasswordResetAsync(PsmDb db, string to, string name, string link, DateTimeOffset expires, DateTimeOffset now, CancellationToken ct) =>
        QueueToUserAsync(db, to, MailTemplateKind.PasswordReset, new Dictionary<string, string>
        {
            ["link"] = link, ["user.name"] = name, ["expires"] = expires.ToString("d MMM yyyy, HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
        }, now, ct);

    /// <summary>
    /// Queues mail to a PSM user from the first enabled mailbox (PSM sends nothing without one); null when there is
    /// none or no address. Added to <paramref name="db"/>, saved by the caller.
    /// </summary>
    private static async Task<MailMessage?> QueueToUserAsync(
        PsmDb db, string to, MailTemplateKind kind, Dictionary<string, string> values, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(to) || await FirstEnabledAsync(db, ct) is not { } mailbox)
        {
            return null;
        }

        var mail = await MailTemplates.RenderAsync(db, kind, values, ct);
        return Queue(db, mailbox, to, mail.Subject, mail.Text, now);
    }

    /// <summary>The mailbox PSM's own mail goes out from when nothing picks another: the first enabled one.</summary>
    public static Task<Mailbox?> FirstEnabledAsync(PsmDb db, CancellationToken ct) =>
        db.Mailboxes.AsNoTracking().Where(m => m.Enabled).OrderBy(m => m.CreatedAt).FirstOrDefaultAsync(ct);

    /// <summary>The mailbox a ticket's mail goes out from: the one it came through, else its team's, else the first enabled one.</summary>
    private static async Task<Mailbox?> MailboxForAsync(PsmDb db, Ticket ticket, CancellationToken ct)
    {
        var mailboxId = await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticket.Id && m.Direction == MailDirection.Inbound && m.MailboxId != null)
            .OrderByDescending(m => m.At).Select(m => m.MailboxId).FirstOrDefaultAsync(ct);
        return await db.Mailboxes.AsNoTracking().Where(m => m.Id == mailboxId).FirstOrDefaultAsync(ct)
               ?? await db.Mailboxes.AsNoTracking().Where(m => m.Enabled && m.TeamId == ticket.TeamId).OrderBy(m => m.CreatedAt).FirstOrDefaultAsync(ct)
               ?? await FirstEnabledAsync(db, ct);
    }

    private static async Task<Dictionary<string, string>> TicketValuesAsync(PsmDb db, Ticket ticket, Mailbox mailbox, CancellationToken ct)
    {
        var customer = await db.Customers.Where(c => c.Id == ticket.CustomerId).Select(c => c.Name).SingleAsync(ct);
        var contact = ticket.ContactId is { } id ? await db.CustomerContacts.Where(c => c.Id == id).Select(c => c.Name).SingleOrDefaultAsync(ct) : null;
        return new Dictionary<string, string>
        {
            ["ticket.key"] = ticket.Key, ["ticket.subject"] = ticket.Subject, ["customer.name"] = customer, ["contact.name"] = contact ?? customer, ["mailbox"] = mailbox.Name,
        };
    }

    /// <summary>Stores an outgoing mail and its outbox row (due at <paramref name="sendAt"/>, else now).</summary>
    public static MailMessage Queue(
        PsmDb db, Mailbox mailbox, string to, string subject, string text, DateTimeOffset now, Ticket? ticket = null, string? inReplyTo = null,
        IEnumerable<string>? references = null, DateTimeOffset? sendAt = null)
    {
        var domain = mailbox.Address.Split('@').Last();
        var message = new MailMessage
        {
            MailboxId = mailbox.Id, Direction = MailDirection.Outbound,
            MessageId = $"{Guid.NewGuid():N}{(ticket is null ? "" : "." + ticket.Key.ToLowerInvariant())}@{domain}",
            InReplyTo = inReplyTo, References = string.Join(' ', references ?? []), FromAddress = mailbox.Address, FromName = mailbox.Name, ToAddress = to.Trim(),
            Subject = subject.Length > 500 ? subject[..500] : subject, Text = text, At = now, Disposition = MailDisposition.Sent, TicketId = ticket?.Id,
        };
        db.MailMessages.Add(message);
        db.Outbox.Add(new OutboxMessage { Channel = Channel, Reference = message.Id, CreatedAt = now, NextAttemptAt = sendAt ?? now, Status = OutboxStatus.Queued });
        return message;
    }

    /// <summary>
    /// The mail as sent: the stored text as the plain part, and an HTML part made from the same text with
    /// everything HTML-encoded (only web links become links), so nothing anyone typed turns into markup.
    /// </summary>
    public static MimeMessage Compose(MailMessage message, IReadOnlyList<MailAttachment>? attachments = null)
    {
        var mime = new MimeMessage { MessageId = message.MessageId, Subject = message.Subject, Date = message.At };
        mime.From.Add(new MailboxAddress(message.FromName, message.FromAddress));
        mime.To.Add(MailboxAddress.Parse(message.ToAddress));
        if (message.InReplyTo is { Length: > 0 } inReplyTo)
        {
            mime.InReplyTo = inReplyTo;
        }

        foreach (var reference in message.References.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            mime.References.Add(reference);
        }

        if (message.UnsubscribeUrl is { Length: > 0 } unsubscribe)
        {
            // One-click unsubscribe (RFC 8058): mail clients show their own button for it.
            mime.Headers.Add("List-Unsubscribe", $"<{unsubscribe}>");
            mime.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }

        var body = new BodyBuilder { TextBody = message.Text, HtmlBody = Html(message.Text) };
        foreach (var file in attachments ?? [])
        {
            body.Attachments.Add(file.FileName, file.Content, ContentType.TryParse(file.ContentType, out var type) ? type : new ContentType("application", "octet-stream"));
        }

        mime.Body = body.ToMessageBody();
        return mime;
    }

    /// <summary>Plain text as HTML: encoded, line breaks kept, http(s) links clickable.</summary>
    public static string Html(string text)
    {
        var encoded = System.Net.WebUtility.HtmlEncode(text);
        var linked = System.Text.RegularExpressions.Regex.Replace(encoded, @"https?://[^\s<>&""']+", m => $"<a href=\"{m.Value}\">{m.Value}</a>");
        return $"<!DOCTYPE html><html><body><div style=\"font-family:Arial,sans-serif;font-size:14px;white-space:pre-wrap\">{linked}</div></body></html>";
    }
}

/// <summary>Delivers queued mail over SMTP (MailKit), one connection per mailbox for a whole batch.</summary>
public sealed class MailChannel(IDbContextFactory<PsmDb> dbs, MailSecrets secrets) : IOutboxChannel
{
    public string Name => OutgoingMail.Channel;

    public IOutboxSession Open() => new Session(dbs, secrets);

    private sealed class Session(IDbContextFactory<PsmDb> dbs, MailSecrets secrets) : IOutboxSession
    {
        private readonly Dictionary<Guid, SmtpClient> clients = [];
        private readonly Dictionary<Guid, Mailbox> mailboxes = [];

        public async Task DeliverAsync(OutboxMessage outbox, CancellationToken ct)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var message = await db.MailMessages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == outbox.Reference, ct)
                ?? throw new PermanentDeliveryException("The message to send no longer exists.");
            if (message.MailboxId is not { } mailboxId)
            {
                throw new PermanentDeliveryException("The mailbox it was to go out from was removed.");
            }

            // A satisfaction survey waits for its delay: if the ticket was reopened meanwhile, asking how it went would be wrong.
            if (message.SurveyInvitationId is not null && message.TicketId is { } ticketId
                && await db.Tickets.AnyAsync(t => t.Id == ticketId && t.Status != ServiceDesk.TicketStatus.Resolved && t.Status != ServiceDesk.TicketStatus.Closed, ct))
            {
                throw new PermanentDeliveryException("Not sent: the ticket was reopened before the survey was due.");
            }

            var attachments = await db.MailAttachments.AsNoTracking().Where(a => a.MailMessageId == message.Id).OrderBy(a => a.Id).ToListAsync(ct);
            var client = await ConnectAsync(db, mailboxId, ct);
            try
            {
                await client.SendAsync(OutgoingMail.Compose(message, attachments), ct);
            }
            catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
            {
                throw new PermanentDeliveryException($"{(int)e.StatusCode} {e.Message}", e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The connection may be in any state: the next message opens a new one.
                clients.Remove(mailboxId);
                client.Dispose();
                throw e is SmtpCommandException command ? new InvalidOperationException($"{(int)command.StatusCode} {command.Message}", e) : e;
            }
        }

        private async Task<SmtpClient> ConnectAsync(PsmDb db, Guid mailboxId, CancellationToken ct)
        {
            if (clients.TryGetValue(mailboxId, out var connected) && connected.IsConnected)
            {
                return connected;
            }

            if (!mailboxes.TryGetValue(mailboxId, out var mailbox))
            {
                mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, ct)
                    ?? throw new PermanentDeliveryException("The mailbox it was to go out from was removed.");
                mailboxes[mailboxId] = mailbox;
            }

            var client = new SmtpClient { Timeout = 30_000 };
            try
            {
                await client.ConnectAsync(mailbox.SmtpHost, mailbox.SmtpPort, MailFetcher.Options(mailbox.SmtpSecurity), ct);
                if (mailbox.SmtpUser.Length > 0)
                {
                    await client.AuthenticateAsync(mailbox.SmtpUser, secrets.Unprotect(mailbox.SmtpSecretProtected, "SMTP"), ct);
                }
            }
            catch
            {
                client.Dispose();
                throw;
            }

            clients[mailboxId] = client;
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in clients.Values)
            {
                try
                {
                    if (client.IsConnected)
                    {
                        await client.DisconnectAsync(true);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or MailKit.ProtocolException)
                {
                }

                client.Dispose();
            }
        }
    }
}
