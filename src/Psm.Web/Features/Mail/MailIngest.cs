using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;

namespace Psm.Web.Features.Mail;

public enum IngestOutcome { NewTicket, TicketReply, Feedback, Ignored, Duplicate, Quarantined }

/// <summary>One message as the fetcher read it: its UID and size, and its bytes (none when it was too big to download).</summary>
public sealed record IncomingMail(long Uid, long Size, Stream? Raw, string From = "", string Subject = "");

/// <summary>
/// Turns messages read from a mailbox into what they mean: a reply on its ticket (by In-Reply-To /
/// References, or by the ticket key in the subject from someone at that customer), a new ticket or a
/// feedback item, or nothing (an auto-reply, a bounce, bulk mail, a message already taken).
/// A batch is written in one transaction with the mailbox's read position, so a restart never takes a
/// message twice and never skips one; its senders, threads, SLA policies and ticket numbers are read once
/// for the batch. A batch that cannot be stored is tried again one message at a time, so one bad message
/// lands in the quarantine alone while the others go on.
/// </summary>
public sealed class MailIngest(IDbContextFactory<PsmDb> dbs, Tickets tickets, TimeProvider time)
{
    public const string UnassignedSendersRef = "psm:unassigned-senders";

    /// <summary>At most this many messages, and about this many bytes, are held and written together.</summary>
    public const int BatchMessages = 250;

    public const long BatchBytes = 32L * 1024 * 1024;

    /// <param name="force">An admin's retry from the quarantine: read it as well as PSM can (unknown charsets decoded as UTF-8, no size limit).</param>
    public async Task<IngestOutcome> ProcessAsync(Mailbox mailbox, long uidValidity, long uid, Stream raw, long size, bool force, CancellationToken ct) =>
        (await ProcessBatchAsync(mailbox, uidValidity, [new IncomingMail(uid, size, raw)], force, ct))[0];

    /// <summary>Reads and stores a batch of messages in UID order; the outcome of each, in the same order.</summary>
    public async Task<IReadOnlyList<IngestOutcome>> ProcessBatchAsync(Mailbox mailbox, long uidValidity, IReadOnlyList<IncomingMail> batch, bool force, CancellationToken ct)
    {
        var read = batch.Select(m => Read(mailbox, m, force)).ToList();
        if (await TryStoreAsync(mailbox, uidValidity, read, ct) is { } outcomes)
        {
            return outcomes;
        }

        if (read.Count == 1)
        {
            return [await QuarantineAsync(mailbox, uidValidity, read[0], read[0].Problem ?? "PSM could not store it.", ct)];
        }

        // Never stuck on one message: one at a time, a bad one waits in the quarantine with the reason, the others go on.
        var each = new List<IngestOutcome>(read.Count);
        foreach (var one in read)
        {
            each.Add(await TryStoreAsync(mailbox, uidValidity, [one], ct) is { } done ? done[0]
                : await QuarantineAsync(mailbox, uidValidity, one, one.Problem ?? "PSM could not store it.", ct));
        }

        return each;
    }

    private sealed class ReadMail(IncomingMail mail)
    {
        public IncomingMail Mail { get; } = mail;
        public MimeMessage? Parsed { get; set; }

        /// <summary>Why it goes to the quarantine (set before storing when it cannot be read; after a failed store, why that failed).</summary>
        public string? Problem { get; set; }

        public string MessageId { get; set; } = "";
    }

    private static ReadMail Read(Mailbox mailbox, IncomingMail mail, bool force)
    {
        var read = new ReadMail(mail);
        if (mail.Raw is null)
        {
            read.Problem = $"It is {mail.Size / 1048576.0:0.0} MB, over this mailbox's limit of {mailbox.MaxMessageMegabytes} MB (attachments included).";
            return read;
        }

        try
        {
            read.Parsed = MimeMessage.Load(mail.Raw);
        }
        catch (FormatException e)
        {
            read.Problem = $"The message cannot be parsed: {e.Message}";
            return read;
        }

        if (!force && MailReading.Unreadable(read.Parsed) is { } reason)
        {
            read.Problem = reason;
        }

        read.MessageId = Clip(read.Parsed.MessageId is { Length: > 0 } id ? id : $"{ContentHash(mail.Raw)}@no-message-id.psm", 500);
        return read;
    }

    /// <summary>Stores the batch, trying again when another writer took the same ticket numbers first; null when it cannot be stored.</summary>
    private async Task<IReadOnlyList<IngestOutcome>?> TryStoreAsync(Mailbox mailbox, long uidValidity, List<ReadMail> batch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await StoreAsync(mailbox, uidValidity, batch, ct);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException)
            {
                if (e is InvalidOperationException || attempt >= 3)
                {
                    if (batch.Count == 1 && batch[0].Problem is null)
                    {
                        batch[0].Problem = $"PSM could not store it: {e.GetBaseException().Message}";
                    }

                    return null;
                }
            }
        }
    }

    private async Task<IngestOutcome[]> StoreAsync(Mailbox mailbox, long uidValidity, List<ReadMail> batch, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        // What mail brings in is done by the mailbox, not by whoever pressed "Read now": the timeline and the audit log say so.
        db.CurrentUser = Actor(mailbox);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var outcomes = new IngestOutcome[batch.Count];
        var readable = batch.Where(m => m.Problem is null).ToList();
        var ids = readable.Select(m => m.MessageId).Distinct().ToList();
        var taken = (await db.MailMessages.Where(m => ids.Contains(m.MessageId)).Select(m => m.MessageId).ToListAsync(ct)).ToHashSet();
        var fresh = readable.Where(m => !taken.Contains(m.MessageId)).DistinctBy(m => m.MessageId).ToHashSet();
        var known = await Known.LoadAsync(db, mailbox, fresh.Select(m => m.Parsed!).ToList(), ct);
        for (var i = 0; i < batch.Count; i++)
        {
            var mail = batch[i];
            outcomes[i] = mail.Problem is not null ? IngestOutcome.Quarantined
                : !fresh.Contains(mail) ? IngestOutcome.Duplicate
                // Its own moment for each message: the entries of one ticket stay in the order the mail came.
                : await StoreOneAsync(db, known, mailbox, mail.Parsed!, mail.MessageId, mail.Mail.Uid, now.AddMicroseconds(10 * i), ct);
        }

        var problems = batch.Where(m => m.Problem is not null).ToList();
        var problemUids = problems.Select(m => m.Mail.Uid).ToList();
        var cleared = batch.Select(m => m.Mail.Uid).Except(problemUids).ToList();
        if (cleared.Count > 0)
        {
            await db.QuarantinedMail.Where(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && cleared.Contains(q.Uid)).ExecuteDeleteAsync(ct);
        }

        if (problems.Count > 0)
        {
            var waiting = await db.QuarantinedMail.Where(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && problemUids.Contains(q.Uid)).ToDictionaryAsync(q => q.Uid, ct);
            foreach (var problem in problems)
            {
                Quarantine(db, waiting.GetValueOrDefault(problem.Mail.Uid), mailbox, uidValidity, problem.Mail, problem.Parsed, problem.Problem!, now);
            }
        }

        await db.SaveChangesAsync(ct);
        await AdvanceAsync(db, mailbox.Id, uidValidity, batch.Max(m => m.Mail.Uid), ct);
        await transaction.CommitAsync(ct);
        return outcomes;
    }

    private async Task<IngestOutcome> StoreOneAsync(PsmDb db, Known known, Mailbox mailbox, MimeMessage parsed, string messageId, long uid, DateTimeOffset now, CancellationToken ct)
    {
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
                stored.Note = await BouncedAsync(db, parsed, why, now, ct) ?? stored.Note;
            }

            outcome = IngestOutcome.Ignored;
        }
        else if (known.Thread(parsed, address) is { } ticket)
        {
            var writer = known.Writer(ticket.ContactId, sender, address);
            var entry = await tickets.CustomerWroteAsync(db, ticket, writer, Clip(text.Length > 0 ? text : "(an empty message)", 20_000), now, ct);
            (stored.TicketId, stored.TicketEventId, stored.Disposition) = (ticket.Id, entry.Id, MailDisposition.TicketReply);
            outcome = IngestOutcome.TicketReply;
        }
        else
        {
            var (customerId, contactId, writer) = await known.SenderAsync(db, mailbox, sender, address, now, ct);
            if (mailbox.Becomes == MailBecomes.Feedback)
            {
                var item = Feedback.FeedbackItem.Arrived(Clip(text.Length > 0 ? text : parsed.Subject ?? "(an empty message)", 20_000), Feedback.FeedbackChannel.Email, now,
                    await known.MatcherAsync(db, ct), now);
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
                var (opened, message) = await Tickets.OpenAsync(db, input, writer, now, ct, known.Sla);
                opened.Number = await known.NextNumberAsync(db, ct);
                known.Opened(opened);
                (stored.TicketId, stored.TicketEventId, stored.Disposition) = (opened.Id, message?.Id, MailDisposition.NewTicket);
                outcome = IngestOutcome.NewTicket;
            }
        }

        db.MailMessages.Add(stored);
        AddAttachments(db, stored, parsed);
        known.Stored(stored);
        return outcome;
    }

    /// <summary>A bounce: the contacts whose mail came back are marked, and so is the mail of PSM's that bounced. The note to keep, if any.</summary>
    private static async Task<string?> BouncedAsync(PsmDb db, MimeMessage parsed, string? why, DateTimeOffset now, CancellationToken ct)
    {
        string? note = null;
        var bounced = MailReading.BouncedRecipients(parsed);
        if (bounced.Count > 0)
        {
            await db.CustomerContacts.Where(c => bounced.Contains(c.Email.ToLower()))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.BouncedAt, now).SetProperty(c => c.BounceReason, Clip($"Mail to this address bounced: {parsed.Subject}", 500)), ct);
            note = Clip($"Not answered: {why}; bounced: {string.Join(", ", bounced)}.", 500);
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

        return note;
    }

    /// <summary>The mailbox has been read up to this UID (a retried older one moves nothing).</summary>
    internal static Task AdvanceAsync(PsmDb db, Guid mailboxId, long uidValidity, long uid, CancellationToken ct) =>
        db.Mailboxes.Where(m => m.Id == mailboxId && m.UidValidity == uidValidity && m.LastUid < uid).ExecuteUpdateAsync(s => s.SetProperty(m => m.LastUid, uid), ct);

    private static void Quarantine(PsmDb db, QuarantinedMail? existing, Mailbox mailbox, long uidValidity, IncomingMail mail, MimeMessage? parsed, string reason, DateTimeOffset now)
    {
        if (existing is null)
        {
            db.QuarantinedMail.Add(new QuarantinedMail
            {
                MailboxId = mailbox.Id, UidValidity = uidValidity, Uid = mail.Uid, Size = mail.Size, Reason = Clip(reason, 1000), At = now,
                From = Clip(parsed?.From.Mailboxes.FirstOrDefault()?.ToString() ?? mail.From, 500), Subject = Clip(parsed?.Subject ?? mail.Subject, 500),
            });
        }
        else
        {
            (existing.Reason, existing.At) = (Clip(reason, 1000), now);
        }
    }

    /// <summary>A message that could not be stored with the others waits in the quarantine, on its own.</summary>
    private async Task<IngestOutcome> QuarantineAsync(Mailbox mailbox, long uidValidity, ReadMail mail, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var existing = await db.QuarantinedMail.SingleOrDefaultAsync(q => q.MailboxId == mailbox.Id && q.UidValidity == uidValidity && q.Uid == mail.Mail.Uid, ct);
        Quarantine(db, existing, mailbox, uidValidity, mail.Mail, mail.Parsed, reason, now);
        await db.SaveChangesAsync(ct);
        await AdvanceAsync(db, mailbox.Id, uidValidity, mail.Mail.Uid, ct);
        await transaction.CommitAsync(ct);
        return IngestOutcome.Quarantined;
    }

    /// <summary>
    /// What a batch needs to know about the database, read once for all its messages: the tickets its mail
    /// answers, the contacts and customers of its senders, the SLA policies, the theme keywords and the next
    /// ticket number. What the batch itself adds (new contacts, tickets, stored messages) is remembered here too,
    /// so a sender who wrote three times gets one contact and a follow-up threads onto the ticket opened moments before.
    /// </summary>
    private sealed class Known
    {
        private sealed record Contact(Guid Id, Guid CustomerId, string Name, string Email);

        private sealed record CustomerByMail(Guid Id, string Email, bool Archived);

        private readonly Dictionary<string, (Guid Ticket, DateTimeOffset At)> threads = [];
        private readonly Dictionary<Guid, Ticket> ticketsById = [];
        private readonly Dictionary<int, Ticket> ticketsByNumber = [];
        private readonly Dictionary<string, List<Contact>> contacts = [];
        private readonly Dictionary<string, List<CustomerByMail>> customers = [];
        private Guid? unassigned;
        private Feedback.ThemeMatcher? matcher;
        private int? lastNumber;

        public required SlaLookup Sla { get; init; }

        public static async Task<Known> LoadAsync(PsmDb db, Mailbox mailbox, List<MimeMessage> messages, CancellationToken ct)
        {
            var known = new Known { Sla = await SlaLookup.LoadAsync(db, ct) };
            var people = messages.Where(m => MailReading.Classify(m).Kind == MailKind.Person).ToList();
            if (people.Count == 0)
            {
                return known;
            }

            var answered = people.SelectMany(m => m.References.Append(m.InReplyTo)).Where(r => !string.IsNullOrEmpty(r)).Select(r => r!).Distinct().ToList();
            if (answered.Count > 0)
            {
                foreach (var row in await db.MailMessages.Where(m => answered.Contains(m.MessageId) && m.TicketId != null)
                             .Select(m => new { m.MessageId, m.TicketId, m.At }).ToListAsync(ct))
                {
                    known.Remember(row.MessageId, row.TicketId!.Value, row.At);
                }
            }

            var numbers = people.Select(m => MailReading.TicketNumber(m.Subject)).OfType<int>().Distinct().ToList();
            var ticketIds = known.threads.Values.Select(t => t.Ticket).Distinct().ToList();
            if (ticketIds.Count > 0 || numbers.Count > 0)
            {
                foreach (var ticket in await db.Tickets.Where(t => ticketIds.Contains(t.Id) || numbers.Contains(t.Number)).ToListAsync(ct))
                {
                    known.Opened(ticket);
                }
            }

            // Contacts by address as written first (an index finds them), then any spelling of it for the rest.
            var addresses = people.Select(m => m.From.Mailboxes.First().Address.Trim().ToLowerInvariant()).Distinct().ToList();
            foreach (var contact in await db.CustomerContacts.Where(c => addresses.Contains(c.Email)).OrderBy(c => c.Id)
                         .Select(c => new Contact(c.Id, c.CustomerId, c.Name, c.Email)).ToListAsync(ct))
            {
                known.Add(contact);
            }

            var unmatched = addresses.Where(a => !known.contacts.ContainsKey(a)).ToList();
            if (unmatched.Count > 0)
            {
                foreach (var contact in await db.CustomerContacts.Where(c => unmatched.Contains(c.Email.ToLower())).OrderBy(c => c.Id)
                             .Select(c => new Contact(c.Id, c.CustomerId, c.Name, c.Email)).ToListAsync(ct))
                {
                    known.Add(contact);
                }
            }

            // Customers by their own address: the sender of a new message with no contact, or one writing with a ticket key in the subject.
            var byCustomer = numbers.Count > 0 ? addresses : addresses.Where(a => !known.contacts.ContainsKey(a)).ToList();
            if (byCustomer.Count > 0)
            {
                foreach (var customer in await db.Customers.Where(c => byCustomer.Contains(c.Email.ToLower())).OrderBy(c => c.Id)
                             .Select(c => new { c.Id, c.Email, Archived = c.ArchivedAt != null }).ToListAsync(ct))
                {
                    var key = customer.Email.ToLowerInvariant();
                    (known.customers.TryGetValue(key, out var list) ? list : known.customers[key] = []).Add(new CustomerByMail(customer.Id, customer.Email, customer.Archived));
                }
            }

            return known;
        }

        private void Add(Contact contact)
        {
            var key = contact.Email.ToLowerInvariant();
            (contacts.TryGetValue(key, out var list) ? list : contacts[key] = []).Add(contact);
        }

        private void Remember(string messageId, Guid ticket, DateTimeOffset at)
        {
            if (!threads.TryGetValue(messageId, out var seen) || seen.At < at)
            {
                threads[messageId] = (ticket, at);
            }
        }

        public void Opened(Ticket ticket)
        {
            ticketsById[ticket.Id] = ticket;
            ticketsByNumber[ticket.Number] = ticket;
        }

        public void Stored(MailMessage message)
        {
            if (message.TicketId is { } ticket)
            {
                Remember(message.MessageId, ticket, message.At);
            }
        }

        /// <summary>The ticket a reply belongs to: by the Message-IDs it answers (the latest), else by [T-1042] in the subject when the sender is at that customer.</summary>
        public Ticket? Thread(MimeMessage parsed, string address)
        {
            var answered = parsed.References.Append(parsed.InReplyTo).Where(r => !string.IsNullOrEmpty(r))
                .Select(r => threads.TryGetValue(r!, out var t) ? t : ((Guid Ticket, DateTimeOffset At)?)null).OfType<(Guid Ticket, DateTimeOffset At)>()
                .OrderByDescending(t => t.At).FirstOrDefault();
            if (answered.Ticket != Guid.Empty && ticketsById.TryGetValue(answered.Ticket, out var threaded))
            {
                return threaded;
            }

            if (MailReading.TicketNumber(parsed.Subject) is { } number && ticketsByNumber.TryGetValue(number, out var keyed))
            {
                // A key in a subject is easy to type: only someone at that customer adds to its ticket this way.
                var atCustomer = contacts.GetValueOrDefault(address)?.Any(c => c.CustomerId == keyed.CustomerId) == true
                                 || customers.GetValueOrDefault(address)?.Any(c => c.Id == keyed.CustomerId) == true;
                return atCustomer ? keyed : null;
            }

            return null;
        }

        /// <summary>Who wrote a reply, for the timeline: the ticket's contact when the mail is from them, else the sender as the mail names them.</summary>
        public string Writer(Guid? contactId, MailboxAddress sender, string address) =>
            contacts.GetValueOrDefault(address)?.FirstOrDefault(c => c.Id == contactId) is { } contact ? contact.Name
            : string.IsNullOrWhiteSpace(sender.Name) ? sender.Address : sender.Name;

        /// <summary>
        /// The customer and contact a sender belongs to: the contact with the address, else the customer with it;
        /// an unknown sender becomes a new contact of the "Unassigned senders" customer, or of a new customer of
        /// their own (the mailbox says which), so no message is lost.
        /// </summary>
        public async Task<(Guid Customer, Guid? Contact, string Writer)> SenderAsync(PsmDb db, Mailbox mailbox, MailboxAddress sender, string address, DateTimeOffset now, CancellationToken ct)
        {
            if (contacts.GetValueOrDefault(address) is [var first, ..] list)
            {
                var contact = list.FirstOrDefault(c => c.Email == address) ?? first;
                return (contact.CustomerId, contact.Id, contact.Name);
            }

            var name = string.IsNullOrWhiteSpace(sender.Name) ? address : sender.Name.Trim();
            Guid customerId;
            if (customers.GetValueOrDefault(address)?.FirstOrDefault(c => !c.Archived) is { } customer)
            {
                customerId = customer.Id;
            }
            else if (mailbox.UnknownSenders == UnknownSenders.NewCustomer)
            {
                var created = new Customer { Name = Clip(name, 200), Email = Clip(address, 256), CreatedAt = now, Industry = "", Region = "", Plan = "" };
                db.Customers.Add(created);
                Sla.Know(created.Id, created.Plan);
                customers[address] = [new CustomerByMail(created.Id, created.Email, false)];
                customerId = created.Id;
            }
            else
            {
                unassigned ??= await db.Customers.Where(c => c.ExternalRef == UnassignedSendersRef).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
                if (unassigned is null)
                {
                    var created = new Customer { Name = "Unassigned senders", Email = mailbox.Address, ExternalRef = UnassignedSendersRef, CreatedAt = now };
                    db.Customers.Add(created);
                    Sla.Know(created.Id, created.Plan);
                    unassigned = created.Id;
                }

                customerId = unassigned.Value;
            }

            var newContact = new CustomerContact { CustomerId = customerId, Name = Clip(name, 200), Email = Clip(address, 256) };
            db.CustomerContacts.Add(newContact);
            Add(new Contact(newContact.Id, customerId, newContact.Name, newContact.Email));
            return (customerId, newContact.Id, newContact.Name);
        }

        public async Task<Feedback.ThemeMatcher> MatcherAsync(PsmDb db, CancellationToken ct) => matcher ??= await Feedback.FeedbackInbox.MatcherAsync(db, ct);

        /// <summary>The batch's tickets are numbered as a block after the highest number; a writer that took one first makes the batch try again.</summary>
        public async Task<int> NextNumberAsync(PsmDb db, CancellationToken ct)
        {
            var next = (lastNumber ?? await db.Tickets.MaxAsync(t => (int?)t.Number, ct) ?? 1000) + 1;
            lastNumber = next;
            return next;
        }
    }

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
