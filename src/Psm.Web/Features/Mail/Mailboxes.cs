using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Mail;

/// <summary>Mailbox settings (secrets kept protected, never read back), the quarantine, and a ticket's mail for its timeline.</summary>
public sealed class Mailboxes(IDbContextFactory<PsmDb> dbs, MailSecrets secrets, TimeProvider time)
{
    public async Task<IReadOnlyList<MailboxDto>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db, db.Mailboxes.AsNoTracking().OrderBy(m => m.Name)).ToListAsync(ct);
    }

    public async Task<MailboxDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db, db.Mailboxes.AsNoTracking().Where(m => m.Id == id)).SingleOrDefaultAsync(ct);
    }

    public async Task<MailboxDto> CreateAsync(MailboxInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await CheckAsync(db, input, null, ct);
        var mailbox = new Mailbox { CreatedAt = time.GetUtcNow() };
        Apply(mailbox, input);
        db.Mailboxes.Add(mailbox);
        await db.SaveChangesAsync(ct);
        return (await GetAsync(mailbox.Id, ct))!;
    }

    public async Task<MailboxDto?> UpdateAsync(Guid id, MailboxInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == id, ct);
        if (mailbox is null)
        {
            return null;
        }

        db.ExpectVersion(mailbox, input.Version);
        await CheckAsync(db, input, id, ct);
        var folderChanged = !string.Equals(mailbox.Folder, input.Folder.Trim(), StringComparison.Ordinal)
                            || !string.Equals(mailbox.ImapHost, input.ImapHost.Trim(), StringComparison.OrdinalIgnoreCase)
                            || !string.Equals(mailbox.ImapUser, input.ImapUser.Trim(), StringComparison.Ordinal);
        Apply(mailbox, input);
        if (folderChanged)
        {
            // Another folder is another UID space: read it from the start (Message-IDs keep duplicates out).
            (mailbox.UidValidity, mailbox.LastUid) = (0, 0);
        }

        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == id, ct);
        if (mailbox is null)
        {
            return false;
        }

        db.Mailboxes.Remove(mailbox);
        await db.SaveChangesAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<QuarantinedMailDto>> QuarantineAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.QuarantinedMail.AsNoTracking().OrderByDescending(q => q.At).ThenByDescending(q => q.Id).Take(500)
            .Select(q => new QuarantinedMailDto(q.Id, q.MailboxId, db.Mailboxes.Where(m => m.Id == q.MailboxId).Select(m => m.Name).Single(), q.Uid, q.From, q.Subject, q.Size,
                q.Reason, q.At))
            .ToListAsync(ct);
    }

    /// <summary>Drops a message from the quarantine: PSM will not read it (it stays on the mail server).</summary>
    public async Task<bool> DropAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var item = await db.QuarantinedMail.SingleOrDefaultAsync(q => q.Id == id, ct);
        if (item is null)
        {
            return false;
        }

        db.QuarantinedMail.Remove(item);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Teams and products a mailbox can route new mail to.</summary>
    public async Task<(IReadOnlyList<NamedRef> Teams, IReadOnlyList<NamedRef> Products)> ChoicesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Name).Select(t => new NamedRef(t.Id, t.Name)).ToListAsync(ct);
        var products = await db.Products.AsNoTracking().Where(p => p.ArchivedAt == null).OrderBy(p => p.Name).Select(p => new NamedRef(p.Id, p.Name)).ToListAsync(ct);
        return (teams, products);
    }

    /// <summary>The latest outgoing mail with its delivery, for the mail page: queued (next attempt, last error), sent, failed.</summary>
    public async Task<IReadOnlyList<OutgoingMailDto>> OutgoingAsync(int limit, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Outbox.AsNoTracking().Where(o => o.Channel == OutgoingMail.Channel).OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id).Take(Math.Clamp(limit, 1, 500))
            .Join(db.MailMessages, o => o.Reference, m => m.Id, (o, m) => new OutgoingMailDto(
                o.Id, m.ToAddress, m.Subject, m.TicketId, o.Status, o.Attempts, o.LastError, o.CreatedAt, o.SentAt, o.NextAttemptAt))
            .ToListAsync(ct);
    }

    /// <summary>A ticket's mail by timeline entry: the delivery of what went out, the attachments of what came in.</summary>
    public static async Task<Dictionary<Guid, (MailDeliveryDto? Delivery, List<MailAttachmentDto> Attachments, bool HasHtml)>> ForTicketAsync(PsmDb db, Guid ticketId, CancellationToken ct)
    {
        var mails = await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticketId && m.TicketEventId != null)
            .Select(m => new
            {
                m.Id, EventId = m.TicketEventId!.Value, m.ToAddress, HasHtml = m.Html != null,
                Outbox = db.Outbox.Where(o => o.Reference == m.Id).Select(o => new { o.Status, o.Attempts, o.LastError, o.SentAt, o.NextAttemptAt }).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var ids = mails.Select(m => m.Id).ToList();
        var attachments = (await db.MailAttachments.AsNoTracking().Where(a => ids.Contains(a.MailMessageId))
                .Select(a => new { a.MailMessageId, Dto = new MailAttachmentDto(a.Id, a.FileName, a.ContentType, a.Size) }).ToListAsync(ct))
            .ToLookup(a => a.MailMessageId, a => a.Dto);
        return mails.ToDictionary(m => m.EventId, m => (
            m.Outbox is { } o ? new MailDeliveryDto(o.Status, m.ToAddress, o.Attempts, o.LastError, o.SentAt, o.NextAttemptAt) : null,
            attachments[m.Id].ToList(), m.HasHtml));
    }

    /// <summary>An attachment of a ticket's mail (null when it is not this ticket's).</summary>
    public async Task<MailAttachment?> AttachmentAsync(Guid ticketId, Guid attachmentId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.MailAttachments.AsNoTracking()
            .Where(a => a.Id == attachmentId && db.MailMessages.Any(m => m.Id == a.MailMessageId && m.TicketId == ticketId)).SingleOrDefaultAsync(ct);
    }

    /// <summary>The sanitised HTML of the mail behind a timeline entry (scripts, handlers and javascript: links removed when it was read).</summary>
    public async Task<string?> HtmlAsync(Guid ticketId, Guid eventId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.MailMessages.AsNoTracking().Where(m => m.TicketId == ticketId && m.TicketEventId == eventId).Select(m => m.Html).FirstOrDefaultAsync(ct);
    }

    private static IQueryable<MailboxDto> Project(PsmDb db, IQueryable<Mailbox> query) => query.Select(m => new MailboxDto(
        m.Id, m.Name, m.Address, m.Enabled, m.ImapHost, m.ImapPort, m.ImapSecurity, m.ImapUser, m.ImapSecretProtected != "", m.Folder, m.SmtpHost, m.SmtpPort,
        m.SmtpSecurity, m.SmtpUser, m.SmtpSecretProtected != "", m.Becomes, m.TeamId, m.ProductId, m.ServiceId, m.Priority, m.UnknownSenders,
        m.MaxMessageMegabytes, m.LastFetchAt, m.LastFetchError,
        db.MailMessages.Count(x => x.MailboxId == m.Id && x.Direction == MailDirection.Inbound),
        db.QuarantinedMail.Count(q => q.MailboxId == m.Id), m.Version));

    private static async Task CheckAsync(PsmDb db, MailboxInput input, Guid? id, CancellationToken ct)
    {
        var problems = new List<(string, string)>();
        var address = input.Address.Trim();
        if (await db.Mailboxes.AnyAsync(m => m.Address == address && m.Id != id, ct)) problems.Add(("address", $"{address} is already a mailbox."));
        if (!Enum.IsDefined(input.ImapSecurity)) problems.Add(("imapSecurity", "Choose None, StartTls or SslOnConnect."));
        if (!Enum.IsDefined(input.SmtpSecurity)) problems.Add(("smtpSecurity", "Choose None, StartTls or SslOnConnect."));
        if (!Enum.IsDefined(input.Becomes)) problems.Add(("becomes", "Choose Ticket or Feedback."));
        if (!Enum.IsDefined(input.UnknownSenders)) problems.Add(("unknownSenders", "Choose UnassignedCustomer or NewCustomer."));
        if (!Enum.IsDefined(input.Priority)) problems.Add(("priority", "Choose Low, Normal, High or Urgent."));
        if (id is null && string.IsNullOrEmpty(input.ImapPassword)) problems.Add(("imapPassword", "The IMAP password is required."));
        if (input.SmtpUser.Trim().Length > 0 && id is null && string.IsNullOrEmpty(input.SmtpPassword)) problems.Add(("smtpPassword", "The SMTP password is required with an SMTP user."));
        if (input.TeamId is { } team && !await db.Teams.AnyAsync(t => t.Id == team, ct)) problems.Add(("teamId", "There is no such team."));
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct)) problems.Add(("productId", "There is no such product."));
        if (input.ServiceId is { } service && !await db.Services.AnyAsync(s => s.Id == service && (input.ProductId == null || s.ProductId == input.ProductId), ct))
        {
            problems.Add(("serviceId", "There is no such service for that product."));
        }

        RequestValidationException.ThrowIfAny(problems);
    }

    private void Apply(Mailbox mailbox, MailboxInput input)
    {
        mailbox.Name = input.Name.Trim();
        mailbox.Address = input.Address.Trim().ToLowerInvariant();
        mailbox.Enabled = input.Enabled;
        mailbox.ImapHost = input.ImapHost.Trim();
        mailbox.ImapPort = input.ImapPort;
        mailbox.ImapSecurity = input.ImapSecurity;
        mailbox.ImapUser = input.ImapUser.Trim();
        if (!string.IsNullOrEmpty(input.ImapPassword))
        {
            mailbox.ImapSecretProtected = secrets.Protect(input.ImapPassword);
        }

        mailbox.Folder = input.Folder.Trim();
        mailbox.SmtpHost = input.SmtpHost.Trim();
        mailbox.SmtpPort = input.SmtpPort;
        mailbox.SmtpSecurity = input.SmtpSecurity;
        mailbox.SmtpUser = input.SmtpUser.Trim();
        if (!string.IsNullOrEmpty(input.SmtpPassword))
        {
            mailbox.SmtpSecretProtected = secrets.Protect(input.SmtpPassword);
        }
        else if (mailbox.SmtpUser.Length == 0)
        {
            mailbox.SmtpSecretProtected = "";
        }

        mailbox.Becomes = input.Becomes;
        mailbox.TeamId = input.TeamId;
        mailbox.ProductId = input.ProductId;
        mailbox.ServiceId = input.ServiceId;
        mailbox.Priority = input.Priority;
        mailbox.UnknownSenders = input.UnknownSenders;
        mailbox.MaxMessageMegabytes = input.MaxMessageMegabytes;
    }
}
