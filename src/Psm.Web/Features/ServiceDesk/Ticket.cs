using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Account;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.ServiceDesk;

public enum TicketChannel { Email, Chat, Phone, Portal, Api }

public enum TicketPriority { Low, Normal, High, Urgent }

public enum TicketStatus { New, Open, PendingOnCustomer, Resolved, Closed, Reopened }

public enum TicketEventKind { Created, Reply, Note, Status, Assignment, Priority, Escalation, Sla, Survey, CustomerMessage }

/// <summary>A group of agents tickets are routed to; round-robin assignment goes to its available members in turn.</summary>
public sealed class Team
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public Guid? LeadId { get; set; }
    public PsmUser? Lead { get; set; }
    public List<TeamMember> Members { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Whether a resolved ticket's satisfaction survey is e-mailed to the customer, and how long after resolving.</summary>
    public bool CsatByEmail { get; set; }

    public int CsatDelayMinutes { get; set; }
}

public sealed class TeamMember
{
    public Guid TeamId { get; set; }
    public Guid UserId { get; set; }
    public PsmUser? User { get; set; }

    /// <summary>Off (leave, training, a full plate): round-robin skips them.</summary>
    public bool Available { get; set; } = true;

    /// <summary>When round-robin last gave this member a ticket of this team.</summary>
    public DateTimeOffset? LastAssignedAt { get; set; }
}

/// <summary>A customer's request, with its key (T-1042), routing, status and the times the service is measured by.</summary>
public sealed class Ticket : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();

    /// <summary>The number in the key T-{Number}; unique, increasing.</summary>
    public int Number { get; set; }

    public string Subject { get; set; } = "";
    public string Description { get; set; } = "";
    public Guid CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public Guid? ContactId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public TicketChannel Channel { get; set; }
    public TicketPriority Priority { get; set; }
    public TicketStatus Status { get; set; }
    public Guid? TeamId { get; set; }
    public Team? Team { get; set; }
    public Guid? AssigneeId { get; set; }
    public PsmUser? Assignee { get; set; }

    /// <summary>Comma-separated, lower case.</summary>
    public string Tags { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FirstResponseAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public int Reopened { get; set; }

    /// <summary>The SLA policy chosen when the ticket was opened or its priority last changed.</summary>
    public Guid? SlaPolicyId { get; set; }

    public DateTimeOffset? FirstResponseDueAt { get; set; }
    public DateTimeOffset? ResolutionDueAt { get; set; }

    /// <summary>Set while the ticket is pending on the customer: the resolution clock is stopped.</summary>
    public DateTimeOffset? PausedAt { get; set; }

    /// <summary>When a target was missed, recorded by the SLA monitor once (it is the due time itself).</summary>
    public DateTimeOffset? FirstResponseBreachedAt { get; set; }

    public DateTimeOffset? ResolutionBreachedAt { get; set; }

    /// <summary>Business minutes from opening to the first response, on the SLA's calendar (wall-clock minutes when no SLA applies).</summary>
    public double? FirstResponseMinutes { get; set; }

    /// <summary>Business minutes from opening to resolution, less the time pending on the customer.</summary>
    public double? ResolutionMinutes { get; set; }

    /// <summary>Business minutes spent pending on the customer so far (resolution time leaves them out).</summary>
    public double PausedMinutes { get; set; }

    /// <summary>
    /// The part of <see cref="PausedMinutes"/> that moved the resolution target: pauses that began before it
    /// was due (<see cref="SlaRules.Credit"/>).
    /// </summary>
    public double CreditedPauseMinutes { get; set; }

    /// <summary>0 none; each escalation, automatic or by hand, raises it by one.</summary>
    public int EscalationLevel { get; set; }

    /// <summary>Set by the SLA monitor when it escalated for "about to breach", so it does so once.</summary>
    public DateTimeOffset? NearBreachEscalatedAt { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();

    public string Key => $"T-{Number}";

    public bool IsOpen => Status is not (TicketStatus.Resolved or TicketStatus.Closed);
}

/// <summary>One entry of a ticket's timeline: replies, internal notes, changes, escalations and SLA events, with who and when.</summary>
public sealed class TicketEvent
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid TicketId { get; set; }
    public DateTimeOffset At { get; set; }
    public TicketEventKind Kind { get; set; }

    /// <summary>Internal notes are not public; roles that may not read them never receive them.</summary>
    public bool Internal { get; set; }

    public string Actor { get; set; } = "";
    public string Text { get; set; } = "";
}

public sealed class TicketInput
{
    [Required(ErrorMessage = "Subject is required.")]
    [StringLength(300, ErrorMessage = "The subject must be at most 300 characters.")]
    public string Subject { get; set; } = "";

    [StringLength(20_000, ErrorMessage = "The description must be at most 20 000 characters.")]
    public string Description { get; set; } = "";

    [Required(ErrorMessage = "Choose the customer.")]
    public Guid? CustomerId { get; set; }

    public Guid? ContactId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public TicketChannel Channel { get; set; } = TicketChannel.Email;
    public TicketPriority Priority { get; set; } = TicketPriority.Normal;
    public Guid? TeamId { get; set; }
    public Guid? AssigneeId { get; set; }
    public List<string> Tags { get; set; } = [];
}

public sealed class TicketMessageInput
{
    [Required(ErrorMessage = "Write something.")]
    [StringLength(20_000, ErrorMessage = "A message must be at most 20 000 characters.")]
    public string Text { get; set; } = "";

    /// <summary>Files sent with an e-mailed reply (at most 10, 20 MB together); the content is base64 in JSON.</summary>
    [MaxLength(10, ErrorMessage = "At most 10 attachments.")]
    public List<ReplyAttachmentInput>? Attachments { get; set; }
}

public sealed class ReplyAttachmentInput
{
    [Required(ErrorMessage = "Name the file.")]
    [StringLength(255, ErrorMessage = "A file name must be at most 255 characters.")]
    public string FileName { get; set; } = "";

    [StringLength(127, ErrorMessage = "A content type must be at most 127 characters.")]
    [RegularExpression(@"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$", ErrorMessage = "Give a content type such as application/pdf.")]
    public string? ContentType { get; set; }

    [Required(ErrorMessage = "Give the file's content (base64).")]
    public byte[] Content { get; set; } = [];
}

public sealed class TicketStatusInput
{
    [Required(ErrorMessage = "Give the new status.")]
    public TicketStatus? Status { get; set; }
}

public sealed class TicketAssignInput
{
    public Guid? TeamId { get; set; }

    /// <summary>A person; leave empty with <see cref="RoundRobin"/> to pick the team's next available agent.</summary>
    public Guid? AssigneeId { get; set; }

    public bool RoundRobin { get; set; }
}

public sealed class TicketPriorityInput
{
    [Required(ErrorMessage = "Give the new priority.")]
    public TicketPriority? Priority { get; set; }
}

public sealed class EscalationInput
{
    [Required(ErrorMessage = "Say why it is escalated.")]
    [StringLength(2000)]
    public string Reason { get; set; } = "";

    /// <summary>A conflict between the agent and the customer: flagged with a "conflict" tag.</summary>
    public bool Conflict { get; set; }
}

public sealed class TicketBulkInput
{
    public List<Guid> TicketIds { get; set; } = [];
    public TicketStatus? Status { get; set; }
    public Guid? AssigneeId { get; set; }
    public Guid? TeamId { get; set; }
}

public sealed class TeamInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "The name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    public Guid? LeadId { get; set; }
    public List<Guid> MemberIds { get; set; } = [];
}

public sealed class AvailabilityInput
{
    public bool Available { get; set; }
}

/// <summary>A row of the queue. NextDueAt is the target that runs now: the first response until it is given, then the resolution (none while paused).</summary>
public sealed record TicketSummary(
    Guid Id, string Key, string Subject, NamedRef Customer, TicketChannel Channel, TicketPriority Priority, TicketStatus Status, NamedRef? Team,
    NamedRef? Assignee, DateTimeOffset CreatedAt, DateTimeOffset? FirstResponseAt, DateTimeOffset? ResolvedAt, IReadOnlyList<string> Tags,
    DateTimeOffset? NextDueAt, bool Breached, int EscalationLevel, Guid Version);

/// <summary>A ticket's SLA as the agent sees it: the policy, due times, business time left, pause and breaches.</summary>
public sealed record TicketSlaDto(
    string Policy, DateTimeOffset? FirstResponseDueAt, double? FirstResponseLeftMinutes, DateTimeOffset? ResolutionDueAt, double? ResolutionLeftMinutes,
    bool Paused, DateTimeOffset? FirstResponseBreachedAt, DateTimeOffset? ResolutionBreachedAt);

/// <summary>
/// A timeline entry. For mail: <c>ByEmail</c>; an outgoing reply's <c>Delivery</c> (queued, sent, failed with the
/// server's answer); an incoming message's <c>Attachments</c>, and <c>HasHtml</c> when its sanitised HTML can be shown.
/// </summary>
public sealed record TicketEventDto(
    Guid Id, DateTimeOffset At, TicketEventKind Kind, bool Internal, string Actor, string Text, Mail.MailDeliveryDto? Delivery = null,
    IReadOnlyList<Mail.MailAttachmentDto>? Attachments = null, bool ByEmail = false, bool HasHtml = false);

public sealed record TicketDto(
    TicketSummary Summary, string Description, NamedRef? Contact, NamedRef? Product, NamedRef? Service, DateTimeOffset? ClosedAt, int Reopened,
    TicketSlaDto? Sla, string? SatisfactionLink, int? SatisfactionScore, IReadOnlyList<TicketEventDto> Timeline, string? RepliesEmailedTo = null);

/// <summary>A member with their open tickets and their CSAT over the last 90 days (% of answers 4 or 5 on the tickets they resolved).</summary>
public sealed record TeamMemberDto(Guid UserId, string Name, bool Available, int OpenTickets, double? Csat, int CsatAnswers);

public sealed record TeamDto(Guid Id, string Name, NamedRef? Lead, IReadOnlyList<TeamMemberDto> Members, int Unassigned, bool CsatByEmail = false, int CsatDelayMinutes = 0);

public sealed class TeamSurveyMailInput
{
    /// <summary>E-mail the satisfaction survey link when one of the team's tickets is resolved.</summary>
    public bool Enabled { get; set; }

    [Range(0, 10_080, ErrorMessage = "The delay must be between 0 minutes and 7 days (10 080 minutes).")]
    public int DelayMinutes { get; set; }
}

internal sealed class ServiceDeskConfiguration :
    IEntityTypeConfiguration<Team>, IEntityTypeConfiguration<TeamMember>, IEntityTypeConfiguration<Ticket>, IEntityTypeConfiguration<TicketEvent>
{
    public void Configure(EntityTypeBuilder<Team> team)
    {
        team.ToTable("Teams");
        team.Property(t => t.Name).HasMaxLength(100);
        team.HasIndex(t => t.Name).IsUnique();
        team.HasOne(t => t.Lead).WithMany().HasForeignKey(t => t.LeadId).OnDelete(DeleteBehavior.SetNull);
    }

    public void Configure(EntityTypeBuilder<TeamMember> member)
    {
        member.ToTable("TeamMembers");
        member.HasKey(m => new { m.TeamId, m.UserId });
        member.HasOne<Team>().WithMany(t => t.Members).HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        member.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<Ticket> ticket)
    {
        // Triggers mark the rollups' days (ADR-015); SQLite cannot combine RETURNING with AFTER triggers.
        ticket.ToTable("Tickets", t => t.UseSqlReturningClause(false));
        ticket.Ignore(t => t.Key);
        ticket.Ignore(t => t.IsOpen);
        ticket.HasIndex(t => t.Number).IsUnique();
        ticket.Property(t => t.Subject).HasMaxLength(300);
        ticket.Property(t => t.Description).HasMaxLength(20_000);
        ticket.Property(t => t.Channel).HasConversion<string>().HasMaxLength(16);
        ticket.Property(t => t.Priority).HasConversion<string>().HasMaxLength(16);
        ticket.Property(t => t.Status).HasConversion<string>().HasMaxLength(24);
        ticket.Property(t => t.Tags).HasMaxLength(500);
        ticket.HasOne(t => t.Customer).WithMany().HasForeignKey(t => t.CustomerId).OnDelete(DeleteBehavior.Cascade);
        ticket.HasOne<CustomerContact>().WithMany().HasForeignKey(t => t.ContactId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasOne<Catalog.Product>().WithMany().HasForeignKey(t => t.ProductId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasOne<Catalog.Service>().WithMany().HasForeignKey(t => t.ServiceId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasOne(t => t.Team).WithMany().HasForeignKey(t => t.TeamId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasOne(t => t.Assignee).WithMany().HasForeignKey(t => t.AssigneeId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasIndex(t => new { t.AssigneeId, t.Status });
        ticket.HasIndex(t => new { t.TeamId, t.Status });
        ticket.HasIndex(t => new { t.CustomerId, t.CreatedAt });
        ticket.HasIndex(t => t.CreatedAt);
        // The rollups recompute a day from the tickets opened, first answered and resolved on it (ADR-015).
        ticket.HasIndex(t => t.ResolvedAt);
        ticket.HasIndex(t => t.FirstResponseAt);
        ticket.HasOne<SlaPolicy>().WithMany().HasForeignKey(t => t.SlaPolicyId).OnDelete(DeleteBehavior.SetNull);
        ticket.HasIndex(t => t.FirstResponseDueAt);
        ticket.HasIndex(t => t.ResolutionDueAt);
    }

    public void Configure(EntityTypeBuilder<TicketEvent> entry)
    {
        entry.ToTable("TicketEvents");
        entry.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        entry.Property(e => e.Actor).HasMaxLength(256);
        entry.Property(e => e.Text).HasMaxLength(20_000);
        entry.HasOne<Ticket>().WithMany().HasForeignKey(e => e.TicketId).OnDelete(DeleteBehavior.Cascade);
        entry.HasIndex(e => new { e.TicketId, e.At });
    }
}
