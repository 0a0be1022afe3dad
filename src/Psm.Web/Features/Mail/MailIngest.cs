using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Web.Features.Mail;

public enum IngestOutcome { NewTicket, TicketReply, Feedback, Ignored, Duplicate, Quarantined }

/// <summary>
/// Turns one message read from a mailbox into what it means: a reply on its ticket (by In-Reply-To /
/// References, or by the ticket key in the subject from someone at that customer), a new ticket or a
/// feedback item, or nothing (an auto-reply, a bounce, bulk mail, a message already taken). What it wrote,
/// the stored message and the mailbox's read position are saved in one transaction, so a restart never
/// takes a message twice and never skips one.
/// </summary>
public sealed class MailIngest(IDbContextFactory<PsmDb> dbs, Tickets tickets, TimeProvider time)
{
    public const string UnassignedSendersRef = "psm:unassigned-senders";

    /// <param name="force">An admin's retry from the quarantine: read it as well as PSM can (unknown charsets decoded as UTF-8, no size limit).</param>
    public async Task<IngestOutcome> ProcessAsync(Mailbox mailbox, long uidValidity, long uid, Stream raw, long size, bool force, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        MimeMessage parsed;
        try
        {
            parsed = await MimeMessage.LoadAsync(raw, ct);
        }
        catch (FormatException e)
        {
            return await QuarantineAsync(mailbox, uidValidity, uid, "", "", size, $"The message cannot be parsed: {e.Message}", ct);
        }

        var from = parsed.From.Mailboxes.FirstOrDefault();
        if (!force && MailReading.Unreadable(parsed) is { } reason)
        {
            return await QuarantineAsync(mailbox, uidValidity, uid, from?.ToString() ?? "", parsed.Subject ?? "", size, reason, ct);
        }

        try
        {
            return await StoreAsync(mailbox, uidValidity, uid, parsed, raw, now, ct);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException)
        {
            // Never stuck on one message: it waits in the quarantine with the reason, the next ones go on.
            return await QuarantineAsync(mailbox, uidValidity, uid, from?.ToString() ?? "", parsed.Subject ?? "", size, $"PSM could not store it: {e.GetBaseException().Message}", ct);
        }
    }

    private async Task<IngestOutcome> StoreAsync(Mailbox mailbox, long uidValidity, long uid, MimeMessage parsed, Stream raw, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        // What mail brings in is done by the mailbox, not by whoever pressed "Read now": the timeline and the audit log say so.
        db.CurrentUser = Actor(mailbox);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var messageId = Clip(parsed.MessageId is { Length: > 0 } id ? id : $"{ContentHash(raw)}@no-message-id.psm", 500);
        if (await db.MailMessages.AnyAsync(m => m.MessageId == messageId, ct))
        {
            await AdvanceAsync(db, mailbox.Id, uidValidity, uid, ct);
            await db.QuarantinedMail.Where(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && q.Uid == uid).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
            return IngestOutcome.Duplicate;
        }

        var sender = parsed.From.Mailboxes.First();
        var address = sender.Address.Trim().ToLowerInvariant();
        var (kind, why) = MailReading.Classify(parsed);
        var (text, html) = Body(parsed);
        var stored = new MailMessage
        {
            MailboxId = mailbox.Id, Direction = MailDirection.Inbound, MessageId = messageId, InReplyTo = Clip(parsed.InReplyTo, 500),
            References = Clip(string.Join(' ', parsed.References), 4000), FromAddress = Clip(address, 256), FromName = Clip(sender.Name ?? "", 200),
            ToAddress = Clip(string.Join(", ", parsed.To.Mailboxes.Select(m => m.Address)), 1000), Subject = Clip(parsed.Subject ?? "", 500),
            Text = Clip(text, 100_000), Html = html is null ? null : Clip(html, 500_000), At = now, Uid = uid,
        };
        IngestOutcome outcome;
        if (kind != MailKind.Person)
        {
            stored.Disposition = MailDisposition.Ignored;
            stored.Note = Clip($"Not answered: {why}.", 500);
            if (kind == MailKind.Bounce)
            {
                var bounced = MailReading.BouncedRecipients(parsed);
                if (bounced.Count > 0)
                {
                    await db.CustomerContacts.Where(c => bounced.Contains(c.Email.ToLower()))
                        .ExecuteUpdateAsync(s => s.SetProperty(c => c.BouncedAt, now).SetProperty(c => c.BounceReason, Clip($"Mail to this address bounced: {parsed.Subject}", 500)), ct);
                    stored.Note = Clip($"Not answered: {why}; bounced: {string.Join(", ", bounced)}.", 500);
                }

                // Which of PSM's mails came back: by the returned Message-ID, else the latest one to a bounced address.
                var returned = MailReading.BouncedMessageIds(parsed);
                var marked = returned.Count == 0 ? 0 : await db.MailMessages
                    .Where(m => returned.Contains(m.MessageId) && m.Direction == MailDirection.Outbound && m.BouncedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.BouncedAt, now), ct);
                foreach (var recipient in marked > 0 ? [] : bounced)
                {
                    var latest = db.MailMessages.Where(m => m.ToAddress == recipient && m.Direction == MailDirection.Outbound && m.BouncedAt == null && m.At > now.AddDays(-7))
                        .OrderByDescending(m => m.At).Select(m => m.Id).Take(1);
                    await db.MailMessages.Where(m => latest.Contains(m.Id)).ExecuteUpdateAsync(s => s.SetProperty(m => m.BouncedAt, now), ct);
                }
            }

            outcome = IngestOutcome.Ignored;
        }
        else if (await ThreadAsync(db, parsed, address, ct) is { } ticket)
        {
            var writer = await WriterAsync(db, ticket.ContactId, sender, ct);
            var entry = await tickets.CustomerWroteAsync(db, ticket, writer, Clip(text.Length > 0 ? text : "(an empty message)", 20_000), now, ct);
            (stored.TicketId, stored.TicketEventId, stored.Disposition) = (ticket.Id, entry.Id, MailDisposition.TicketReply);
            outcome = IngestOutcome.TicketReply;
        }
        else
        {
            var (customerId, contactId, writer) = await SenderAsync(db, mailbox, sender, address, now, ct);
            if (mailbox.Becomes == MailBecomes.Feedback)
            {
                var matcher = await Feedback.FeedbackInbox.MatcherAsync(db, ct);
                var item = Feedback.FeedbackItem.Arrived(Clip(text.Length > 0 ? text : parsed.Subject ?? "(an empty message)", 20_000), Feedback.FeedbackChannel.Email, now, matcher, now);
                (item.CustomerId, item.ProductId, item.ServiceId, item.SourceRef) = (customerId, mailbox.ProductId, mailbox.ServiceId, Clip($"mail:{messageId}", 200));
                db.Feedback.Add(item);
                (stored.FeedbackId, stored.Disposition) = (item.Id, MailDisposition.Feedback);
                outcome = IngestOutcome.Feedback;
            }
            else
            {
                var input = new TicketInput
                {
                    Subject = Clip(string.IsNullOrWhiteSpace(parsed.Subject) ? "(no subject)" : parsed.Subject.Trim(), 300), Description = Clip(text, 20_000),
                    CustomerId = customerId, ContactId = contactId, ProductId = mailbox.ProductId, ServiceId = mailbox.ServiceId, Channel = TicketChannel.Email,
                    Priority = mailbox.Priority, TeamId = mailbox.TeamId,
                };
                var (opened, message) = await Tickets.OpenAsync(db, input, writer, now, ct);
                (stored.TicketId, stored.TicketEventId, stored.Disposition) = (opened.Id, message?.Id, MailDisposition.NewTicket);
                db.MailMessages.Add(stored);
                AddAttachments(db, stored, parsed);
                await Tickets.SaveNumberedAsync(db, opened, ct);
                await FinishAsync(db, mailbox, uidValidity, uid, ct);
                await transaction.CommitAsync(ct);
                return IngestOutcome.NewTicket;
            }
        }

        db.MailMessages.Add(stored);
        AddAttachments(db, stored, parsed);
        await db.SaveChangesAsync(ct);
        await FinishAsync(db, mailbox, uidValidity, uid, ct);
        await transaction.CommitAsync(ct);
        return outcome;
    }

    private static async Task FinishAsync(PsmDb db, Mailbox mailbox, long uidValidity, long uid, CancellationToken ct)
    {
        await AdvanceAsync(db, mailbox.Id, uidValidity, uid, ct);
        await db.QuarantinedMail.Where(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && q.Uid == uid).ExecuteDeleteAsync(ct);
    }

    /// <summary>The mailbox has been read up to this UID (a retried older one moves nothing).</summary>
    internal static Task AdvanceAsync(PsmDb db, Guid mailboxId, long uidValidity, long uid, CancellationToken ct) =>
        db.Mailboxes.Where(m => m.Id == mailboxId && m.UidValidity == uidValidity && m.LastUid < uid).ExecuteUpdateAsync(s => s.SetProperty(m => m.LastUid, uid), ct);

    private async Task<IngestOutcome> QuarantineAsync(Mailbox mailbox, long uidValidity, long uid, string from, string subject, long size, string reason, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var existing = await db.QuarantinedMail.SingleOrDefaultAsync(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && q.Uid == uid, ct);
        if (existing is null)
        {
            db.QuarantinedMail.Add(new QuarantinedMail
            {
                MailboxId = mailbox.Id, UidValidity = uidValidity, Uid = uid, From = Clip(from, 500), Subject = Clip(subject, 500), Size = size, Reason = Clip(reason, 1000),
                At = time.GetUtcNow(),
            });
        }
        else
        {
            (existing.Reason, existing.At) = (Clip(reason, 1000), time.GetUtcNow());
        }

        await db.SaveChangesAsync(ct);
        await AdvanceAsync(db, mailbox.Id, uidValidity, uid, ct);
        await transaction.CommitAsync(ct);
        return IngestOutcome.Quarantined;
    }

    /// <summary>Quarantines a message too big to read, without downloading it.</summary>
    public Task<IngestOutcome> TooBigAsync(Mailbox mailbox, long uidValidity, long uid, long size, string from, string subject, CancellationToken ct) =>
        QuarantineAsync(mailbox, uidValidity, uid, from, subject, size,
            $"It is {size / 1048576.0:0.0} MB, over this mailbox's limit of {mailbox.MaxMessageMegabytes} MB (attachments included).", ct);

    /// <summary>The ticket a reply belongs to: by the Message-IDs it answers, else by [T-1042] in the subject when the sender is at that customer.</summary>
    private static async Task<Ticket?> ThreadAsync(PsmDb db, MimeMessage parsed, string address, CancellationToken ct)
    {
        var answers = parsed.References.Append(parsed.InReplyTo).Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).Distinct().ToList();
        if (answers.Count > 0)
        {
            var ticketId = await db.MailMessages.Where(m => answers.Contains(m.MessageId) && m.TicketId != null)
                .OrderByDescending(m => m.At).Select(m => m.TicketId).FirstOrDefaultAsync(ct);
            if (ticketId is { } id)
            {
                return await db.Tickets.SingleAsync(t => t.Id == id, ct);
            }
        }

        if (MailReading.TicketNumber(parsed.Subject) is { } number && await db.Tickets.SingleOrDefaultAsync(t => t.Number == number, ct) is { } keyed)
        {
            // A key in a subject is easy to type: only someone at that customer adds to its ticket this way.
            var atCustomer = await db.CustomerContacts.AnyAsync(c => c.CustomerId == keyed.CustomerId && c.Email.ToLower() == address, ct)
                             || await db.Customers.AnyAsync(c => c.Id == keyed.CustomerId && c.Email.ToLower() == address, ct);
            return atCustomer ? keyed : null;
        }

        return null;
    }

    /// <summary>
    /// The customer and contact a sender belongs to: the contact with the address, else the customer with it;
    /// an unknown sender becomes a new contact of the "Unassigned senders" customer, or of a new customer of
    /// their own (the mailbox says which), so no message is lost.
    /// </summary>
    private static async Task<(Guid Customer, Guid? Contact, string Writer)> SenderAsync(
        PsmDb db, Mailbox mailbox, MailboxAddress sender, string address, DateTimeOffset now, CancellationToken ct)
    {
        var contact = await db.CustomerContacts.Where(c => c.Email == address).OrderBy(c => c.Id).Select(c => new { c.Id, c.CustomerId, c.Name }).FirstOrDefaultAsync(ct)
                      ?? await db.CustomerContacts.Where(c => c.Email.ToLower() == address).OrderBy(c => c.Id).Select(c => new { c.Id, c.CustomerId, c.Name }).FirstOrDefaultAsync(ct);
        if (contact is not null)
        {
            return (contact.CustomerId, contact.Id, contact.Name);
        }

        var name = string.IsNullOrWhiteSpace(sender.Name) ? address : sender.Name.Trim();
        var customer = await db.Customers.Where(c => c.Email.ToLower() == address && c.ArchivedAt == null).Select(c => new { c.Id }).FirstOrDefaultAsync(ct);
        Guid customerId;
        if (customer is not null)
        {
            customerId = customer.Id;
        }
        else if (mailbox.UnknownSenders == UnknownSenders.NewCustomer)
        {
            var created = new Customer { Name = Clip(name, 200), Email = Clip(address, 256), CreatedAt = now, Industry = "", Region = "", Plan = "" };
            db.Customers.Add(created);
            customerId = created.Id;
        }
        else
        {
            var unassigned = await db.Customers.Where(c => c.ExternalRef == UnassignedSendersRef).Select(c => new { c.Id }).FirstOrDefaultAsync(ct);
            if (unassigned is null)
            {
                var created = new Customer { Name = "Unassigned senders", Email = mailbox.Address, ExternalRef = UnassignedSendersRef, CreatedAt = now };
                db.Customers.Add(created);
                customerId = created.Id;
            }
            else
            {
                customerId = unassigned.Id;
            }
        }

        var newContact = new CustomerContact { CustomerId = customerId, Name = Clip(name, 200), Email = Clip(address, 256) };
        db.CustomerContacts.Add(newContact);
        // Saved now, inside the message's transaction: opening the ticket reads the customer (its plan picks the SLA).
        await db.SaveChangesAsync(ct);
        return (customerId, newContact.Id, newContact.Name);
    }

    private static async Task<string> WriterAsync(PsmDb db, Guid? contactId, MailboxAddress sender, CancellationToken ct) =>
        contactId is { } id && await db.CustomerContacts.Where(c => c.Id == id && c.Email.ToLower() == sender.Address.ToLower()).Select(c => c.Name).FirstOrDefaultAsync(ct) is { } name
            ? name
            : string.IsNullOrWhiteSpace(sender.Name) ? sender.Address : sender.Name;

    /// <summary>The text PSM keeps: the plain-text part when there is one, else text made from the sanitised HTML; quoted history trimmed.</summary>
    internal static (string Text, string? Html) Body(MimeMessage parsed)
    {
        var html = parsed.HtmlBody is { Length: > 0 } raw ? MailReading.Sanitize(raw) : null;
        var text = parsed.TextBody is { } plain && plain.Trim().Length > 0 ? plain : html is null ? "" : MailReading.TextFromHtml(html);
        return (MailReading.TrimQuoted(text), html);
    }

    private static void AddAttachments(PsmDb db, MailMessage stored, MimeMessage parsed)
    {
        foreach (var part in parsed.Attachments.OfType<MimePart>())
        {
            using var content = new MemoryStream();
            part.Content?.DecodeTo(content);
            db.MailAttachments.Add(new MailAttachment
            {
                MailMessageId = stored.Id, FileName = Clip(part.FileName ?? "attachment", 255), ContentType = Clip(part.ContentType.MimeType, 127),
                Size = content.Length, Content = content.ToArray(),
            });
        }
    }

    private static Infrastructure.Auth.CurrentUser Actor(Mailbox mailbox)
    {
        var actor = new Infrastructure.Auth.CurrentUser();
        actor.Set(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, $"mail to {mailbox.Address}")], "mail")));
        return actor;
    }

    private static string ContentHash(Stream raw)
    {
        raw.Position = 0;
        return Convert.ToHexStringLower(SHA256.HashData(raw));
    }

    private static string Clip(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max];
}
