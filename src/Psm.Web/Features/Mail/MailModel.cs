using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Mail;

public enum MailSecurity { None, StartTls, SslOnConnect }

/// <summary>What a new message (not a reply to a ticket) becomes.</summary>
public enum MailBecomes { Ticket, Feedback }

/// <summary>Where mail from an address no contact has goes: one "Unassigned senders" customer, or a new customer per sender.</summary>
public enum UnknownSenders { UnassignedCustomer, NewCustomer }

public enum MailDirection { Inbound, Outbound }

/// <summary>What PSM did with a message it read.</summary>
public enum MailDisposition { NewTicket, TicketReply, Feedback, Ignored, Sent }

/// <summary>
/// A support address PSM reads over IMAP and answers from over SMTP, and what its mail becomes. The
/// secrets are kept protected (ASP.NET Data Protection) and never leave PSM; <see cref="LastUid"/> under
/// <see cref="UidValidity"/> is how far the fetcher has read, so a restart goes on where it stopped.
/// </summary>
public sealed class Mailbox : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";

    /// <summary>The address customers write to; replies go out from it.</summary>
    public string Address { get; set; } = "";

    public bool Enabled { get; set; } = true;
    public string ImapHost { get; set; } = "";
    public int ImapPort { get; set; }
    public MailSecurity ImapSecurity { get; set; }
    public string ImapUser { get; set; } = "";

    [NotAudited]
    public string ImapSecretProtected { get; set; } = "";

    public string Folder { get; set; } = "INBOX";
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; }
    public MailSecurity SmtpSecurity { get; set; }

    /// <summary>Empty: the SMTP server takes mail from PSM without signing in (a relay that trusts PSM's address).</summary>
    public string SmtpUser { get; set; } = "";

    [NotAudited]
    public string SmtpSecretProtected { get; set; } = "";

    public MailBecomes Becomes { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public TicketPriority Priority { get; set; } = TicketPriority.Normal;
    public UnknownSenders UnknownSenders { get; set; }

    /// <summary>A bigger message is quarantined, not read (attachments included).</summary>
    public int MaxMessageMegabytes { get; set; } = 20;

    [NotAudited]
    public long UidValidity { get; set; }

    [NotAudited]
    public long LastUid { get; set; }

    [NotAudited]
    public DateTimeOffset? LastFetchAt { get; set; }

    [NotAudited]
    public string? LastFetchError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>
/// A message PSM read or sent, kept for threading (its Message-ID is unique: the same message is never
/// taken twice), for the ticket's timeline (which entry it became) and for delivery (outgoing ones go
/// through the outbox). The body is the text PSM used; HTML, when the message had only HTML, is kept sanitised.
/// </summary>
[NotAudited]
public sealed class MailMessage
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid? MailboxId { get; set; }
    public MailDirection Direction { get; set; }
    public string MessageId { get; set; } = "";
    public string? InReplyTo { get; set; }

    /// <summary>Space-separated Message-IDs, oldest first (the References header).</summary>
    public string References { get; set; } = "";

    public string FromAddress { get; set; } = "";
    public string FromName { get; set; } = "";
    public string ToAddress { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Text { get; set; } = "";
    public string? Html { get; set; }
    public DateTimeOffset At { get; set; }
    public long? Uid { get; set; }
    public MailDisposition Disposition { get; set; }

    /// <summary>Why it was ignored (an auto-reply, a bounce, bulk mail).</summary>
    public string? Note { get; set; }

    public Guid? TicketId { get; set; }
    public Guid? TicketEventId { get; set; }
    public Guid? FeedbackId { get; set; }

    /// <summary>For a survey invitation: which one (its delivery and bounces count in the wave's figures).</summary>
    public Guid? SurveyInvitationId { get; set; }

    /// <summary>For an outgoing mail: when a bounce said it could not be delivered.</summary>
    public DateTimeOffset? BouncedAt { get; set; }

    /// <summary>For survey mail: the contact's unsubscribe link, also sent as List-Unsubscribe.</summary>
    public string? UnsubscribeUrl { get; set; }
}

/// <summary>A file that came with a message; downloadable by whoever may read the ticket.</summary>
[NotAudited]
public sealed class MailAttachment
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid MailMessageId { get; set; }
    public string FileName { get; set; } = "";
    public string ContentType { get; set; } = "";
    public long Size { get; set; }
    public byte[] Content { get; set; } = [];
}

/// <summary>A message PSM could not read, with the reason; an admin retries it (after fixing the cause) or drops it (audited).</summary>
public sealed class QuarantinedMail
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid MailboxId { get; set; }
    public long UidValidity { get; set; }
    public long Uid { get; set; }
    public string From { get; set; } = "";
    public string Subject { get; set; } = "";
    public long Size { get; set; }
    public string Reason { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

public sealed class MailboxInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "The name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "The address is required.")]
    [EmailAddress(ErrorMessage = "The address must be an e-mail address.")]
    [StringLength(256, ErrorMessage = "The address must be at most 256 characters.")]
    public string Address { get; set; } = "";

    public bool Enabled { get; set; } = true;

    [Required(ErrorMessage = "The IMAP host is required.")]
    [StringLength(255, ErrorMessage = "The IMAP host must be at most 255 characters.")]
    public string ImapHost { get; set; } = "";

    [Range(1, 65535, ErrorMessage = "The IMAP port must be between 1 and 65535.")]
    public int ImapPort { get; set; } = 993;

    public MailSecurity ImapSecurity { get; set; } = MailSecurity.SslOnConnect;

    [Required(ErrorMessage = "The IMAP user is required.")]
    [StringLength(256, ErrorMessage = "The IMAP user must be at most 256 characters.")]
    public string ImapUser { get; set; } = "";

    /// <summary>Write-only. Leave empty on an edit to keep the stored one.</summary>
    [StringLength(1000, ErrorMessage = "The IMAP password must be at most 1000 characters.")]
    public string? ImapPassword { get; set; }

    [Required(ErrorMessage = "The folder is required.")]
    [StringLength(200, ErrorMessage = "The folder must be at most 200 characters.")]
    public string Folder { get; set; } = "INBOX";

    [Required(ErrorMessage = "The SMTP host is required.")]
    [StringLength(255, ErrorMessage = "The SMTP host must be at most 255 characters.")]
    public string SmtpHost { get; set; } = "";

    [Range(1, 65535, ErrorMessage = "The SMTP port must be between 1 and 65535.")]
    public int SmtpPort { get; set; } = 587;

    public MailSecurity SmtpSecurity { get; set; } = MailSecurity.StartTls;

    [StringLength(256, ErrorMessage = "The SMTP user must be at most 256 characters.")]
    public string SmtpUser { get; set; } = "";

    /// <summary>Write-only. Leave empty on an edit to keep the stored one.</summary>
    [StringLength(1000, ErrorMessage = "The SMTP password must be at most 1000 characters.")]
    public string? SmtpPassword { get; set; }

    public MailBecomes Becomes { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public TicketPriority Priority { get; set; } = TicketPriority.Normal;
    public UnknownSenders UnknownSenders { get; set; }

    [Range(1, 200, ErrorMessage = "The size limit must be between 1 and 200 MB.")]
    public int MaxMessageMegabytes { get; set; } = 20;

    public Guid? Version { get; set; }
}

/// <summary>A mailbox as read: never its secrets, only whether they are set.</summary>
public sealed record MailboxDto(
    Guid Id, string Name, string Address, bool Enabled, string ImapHost, int ImapPort, MailSecurity ImapSecurity, string ImapUser, bool HasImapPassword,
    string Folder, string SmtpHost, int SmtpPort, MailSecurity SmtpSecurity, string SmtpUser, bool HasSmtpPassword, MailBecomes Becomes, Guid? TeamId,
    Guid? ProductId, Guid? ServiceId, TicketPriority Priority, UnknownSenders UnknownSenders, int MaxMessageMegabytes, DateTimeOffset? LastFetchAt,
    string? LastFetchError, int MessagesRead, int Quarantined, Guid Version);

public sealed record QuarantinedMailDto(Guid Id, Guid MailboxId, string Mailbox, long Uid, string From, string Subject, long Size, string Reason, DateTimeOffset At);

/// <summary>What one fetch did.</summary>
public sealed record FetchResult(int Read, int NewTickets, int Replies, int Feedback, int Ignored, int Duplicates, int Quarantined, string? Skipped = null)
{
    public static FetchResult operator +(FetchResult a, FetchResult b) => new(
        a.Read + b.Read, a.NewTickets + b.NewTickets, a.Replies + b.Replies, a.Feedback + b.Feedback, a.Ignored + b.Ignored, a.Duplicates + b.Duplicates,
        a.Quarantined + b.Quarantined, a.Skipped ?? b.Skipped);
}

/// <summary>Delivery of an outgoing message as the ticket's timeline shows it.</summary>
public sealed record MailDeliveryDto(Infrastructure.Outbox.OutboxStatus Status, string To, int Attempts, string? LastError, DateTimeOffset? SentAt, DateTimeOffset NextAttemptAt);

/// <summary>An outgoing mail and its delivery, as the mail page lists them.</summary>
public sealed record OutgoingMailDto(
    Guid OutboxId, string To, string Subject, Guid? TicketId, Infrastructure.Outbox.OutboxStatus Status, int Attempts, string? LastError, DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt, DateTimeOffset NextAttemptAt);

public sealed record MailAttachmentDto(Guid Id, string FileName, string ContentType, long Size);

internal sealed class MailConfiguration :
    IEntityTypeConfiguration<Mailbox>, IEntityTypeConfiguration<MailMessage>, IEntityTypeConfiguration<MailAttachment>, IEntityTypeConfiguration<QuarantinedMail>
{
    public void Configure(EntityTypeBuilder<Mailbox> mailbox)
    {
        mailbox.ToTable("Mailboxes");
        mailbox.Property(m => m.Name).HasMaxLength(100);
        mailbox.Property(m => m.Address).HasMaxLength(256);
        mailbox.HasIndex(m => m.Address).IsUnique();
        mailbox.Property(m => m.ImapHost).HasMaxLength(255);
        mailbox.Property(m => m.ImapUser).HasMaxLength(256);
        mailbox.Property(m => m.ImapSecurity).HasConversion<string>().HasMaxLength(16);
        mailbox.Property(m => m.ImapSecretProtected).HasMaxLength(4000);
        mailbox.Property(m => m.Folder).HasMaxLength(200);
        mailbox.Property(m => m.SmtpHost).HasMaxLength(255);
        mailbox.Property(m => m.SmtpUser).HasMaxLength(256);
        mailbox.Property(m => m.SmtpSecurity).HasConversion<string>().HasMaxLength(16);
        mailbox.Property(m => m.SmtpSecretProtected).HasMaxLength(4000);
        mailbox.Property(m => m.Becomes).HasConversion<string>().HasMaxLength(16);
        mailbox.Property(m => m.Priority).HasConversion<string>().HasMaxLength(16);
        mailbox.Property(m => m.UnknownSenders).HasConversion<string>().HasMaxLength(24);
        mailbox.Property(m => m.LastFetchError).HasMaxLength(2000);
        mailbox.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.SetNull);
        mailbox.HasOne<Catalog.Product>().WithMany().HasForeignKey(m => m.ProductId).OnDelete(DeleteBehavior.SetNull);
        mailbox.HasOne<Catalog.Service>().WithMany().HasForeignKey(m => m.ServiceId).OnDelete(DeleteBehavior.SetNull);
    }

    public void Configure(EntityTypeBuilder<MailMessage> message)
    {
        message.ToTable("MailMessages");
        message.Property(m => m.Direction).HasConversion<string>().HasMaxLength(16);
        message.Property(m => m.Disposition).HasConversion<string>().HasMaxLength(16);
        message.Property(m => m.MessageId).HasMaxLength(500);
        message.HasIndex(m => m.MessageId).IsUnique();
        message.Property(m => m.InReplyTo).HasMaxLength(500);
        message.Property(m => m.References).HasMaxLength(4000);
        message.Property(m => m.FromAddress).HasMaxLength(256);
        message.Property(m => m.FromName).HasMaxLength(200);
        message.Property(m => m.ToAddress).HasMaxLength(1000);
        message.Property(m => m.Subject).HasMaxLength(500);
        message.Property(m => m.Text).HasMaxLength(100_000);
        message.Property(m => m.Html).HasMaxLength(500_000);
        message.Property(m => m.Note).HasMaxLength(500);
        message.HasOne<Mailbox>().WithMany().HasForeignKey(m => m.MailboxId).OnDelete(DeleteBehavior.SetNull);
        message.HasOne<Ticket>().WithMany().HasForeignKey(m => m.TicketId).OnDelete(DeleteBehavior.Cascade);
        message.HasOne<TicketEvent>().WithMany().HasForeignKey(m => m.TicketEventId).OnDelete(DeleteBehavior.SetNull);
        message.HasOne<Feedback.FeedbackItem>().WithMany().HasForeignKey(m => m.FeedbackId).OnDelete(DeleteBehavior.SetNull);
        message.HasIndex(m => new { m.TicketId, m.At });
        message.Property(m => m.UnsubscribeUrl).HasMaxLength(500);
        message.HasOne<Feedback.SurveyInvitation>().WithMany().HasForeignKey(m => m.SurveyInvitationId).OnDelete(DeleteBehavior.SetNull);
        message.HasIndex(m => m.SurveyInvitationId);
    }

    public void Configure(EntityTypeBuilder<MailAttachment> attachment)
    {
        attachment.ToTable("MailAttachments");
        attachment.Property(a => a.FileName).HasMaxLength(255);
        attachment.Property(a => a.ContentType).HasMaxLength(127);
        attachment.HasOne<MailMessage>().WithMany().HasForeignKey(a => a.MailMessageId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<QuarantinedMail> quarantined)
    {
        quarantined.ToTable("QuarantinedMail");
        quarantined.Property(q => q.From).HasMaxLength(500);
        quarantined.Property(q => q.Subject).HasMaxLength(500);
        quarantined.Property(q => q.Reason).HasMaxLength(1000);
        quarantined.HasOne<Mailbox>().WithMany().HasForeignKey(q => q.MailboxId).OnDelete(DeleteBehavior.Cascade);
        quarantined.HasIndex(q => new { q.MailboxId, q.UidValidity, q.Uid }).IsUnique();
    }
}
