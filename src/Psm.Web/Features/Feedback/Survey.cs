using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

public enum SurveyKind
{
    /// <summary>Net Promoter Score: 0-10, "how likely are you to recommend".</summary>
    Nps,

    /// <summary>Customer satisfaction: 1-5.</summary>
    Csat,

    /// <summary>Customer effort score: 1-7, higher means easier.</summary>
    Ces,
}

public enum SurveyStatus { Open, Closed }

public enum ResponseChannel { Web, Email, InApp, Api, Import, Ticket }

public sealed class Survey : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public SurveyKind Kind { get; set; }
    public string Question { get; set; } = "";
    public string? FollowUpQuestion { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    /// <summary>The public link's secret: 128 random bits, URL-safe. Knowing it is the only way to answer anonymously.</summary>
    public string Token { get; set; } = NewToken();
    public SurveyStatus Status { get; set; }

    /// <summary>Each wave asks again: a customer answers once per wave.</summary>
    public int Wave { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public Product? Product { get; set; }
    public Service? Service { get; set; }

    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public (int Min, int Max) Scale => ScaleOf(Kind);

    public static (int Min, int Max) ScaleOf(SurveyKind kind) => kind switch
    {
        SurveyKind.Nps => (0, 10),
        SurveyKind.Csat => (1, 5),
        _ => (1, 7),
    };
}

public sealed class SurveyResponse
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid SurveyId { get; set; }
    public int Wave { get; set; }
    public int Score { get; set; }
    public string? Comment { get; set; }
    public Guid? CustomerId { get; set; }
    public ResponseChannel Channel { get; set; }
    public DateTimeOffset RespondedAt { get; set; }

    /// <summary>The UTC day of <see cref="RespondedAt"/>: metrics group by it on every database.</summary>
    public DateOnly RespondedOn { get; set; }

    /// <summary>The response's id where it came from (an import's row); with the survey it makes re-imports idempotent.</summary>
    public string? ExternalRef { get; set; }

    /// <summary>The feedback item the comment became.</summary>
    public Guid? FeedbackId { get; set; }

    /// <summary>The ticket this answer rates (post-resolution surveys): one answer per ticket, any number per customer.</summary>
    public Guid? TicketId { get; set; }

    public Survey? Survey { get; set; }
    public Customer? Customer { get; set; }
}

public sealed record SurveyDto(
    Guid Id, string Name, SurveyKind Kind, string Question, string? FollowUpQuestion, NamedRef? Product, NamedRef? Service,
    string Token, string PublicPath, SurveyStatus Status, int Wave, int Min, int Max, int Responses, DateTimeOffset CreatedAt,
    DateTimeOffset? ClosedAt, Guid Version);

public sealed record SurveyResponseDto(
    Guid Id, Guid SurveyId, int Wave, int Score, string? Comment, NamedRef? Customer, ResponseChannel Channel, DateTimeOffset RespondedAt,
    Guid? FeedbackId);

public class SurveyInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Kind is required: Nps, Csat or Ces.")]
    public SurveyKind? Kind { get; set; }

    [Required(ErrorMessage = "Question is required.")]
    [StringLength(500, ErrorMessage = "Question must be at most 500 characters.")]
    public string Question { get; set; } = "";

    [StringLength(500, ErrorMessage = "Follow-up question must be at most 500 characters.")]
    public string? FollowUpQuestion { get; set; }

    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
}

public sealed class SurveyUpdate : SurveyInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public class ResponseInput
{
    [Required(ErrorMessage = "Score is required.")]
    public int? Score { get; set; }

    [StringLength(4000, ErrorMessage = "Comment must be at most 4000 characters.")]
    public string? Comment { get; set; }

    public Guid? CustomerId { get; set; }

    public ResponseChannel? Channel { get; set; }

    /// <summary>When it was answered; now when left out.</summary>
    public DateTimeOffset? RespondedAt { get; set; }

    [StringLength(200, ErrorMessage = "External reference must be at most 200 characters.")]
    public string? ExternalRef { get; set; }
}

/// <summary>What an anonymous visitor sends through the public link.</summary>
public sealed class PublicResponseInput
{
    [Required(ErrorMessage = "Choose a score.")]
    public int? Score { get; set; }

    [StringLength(4000, ErrorMessage = "Your comment must be at most 4000 characters.")]
    public string? Comment { get; set; }
}

internal sealed class SurveyConfiguration : IEntityTypeConfiguration<Survey>, IEntityTypeConfiguration<SurveyResponse>
{
    public void Configure(EntityTypeBuilder<Survey> survey)
    {
        survey.ToTable("Surveys");
        survey.Property(s => s.Name).HasMaxLength(200);
        survey.Property(s => s.Kind).HasConversion<string>().HasMaxLength(10);
        survey.Property(s => s.Status).HasConversion<string>().HasMaxLength(10);
        survey.Property(s => s.Question).HasMaxLength(500);
        survey.Property(s => s.FollowUpQuestion).HasMaxLength(500);
        survey.Property(s => s.Token).HasMaxLength(40);
        survey.HasIndex(s => s.Token).IsUnique();
        survey.HasIndex(s => new { s.Name, s.Id });
        survey.HasIndex(s => new { s.CreatedAt, s.Id });
        survey.HasOne(s => s.Product).WithMany().HasForeignKey(s => s.ProductId).OnDelete(DeleteBehavior.SetNull);
        survey.HasOne(s => s.Service).WithMany().HasForeignKey(s => s.ServiceId).OnDelete(DeleteBehavior.SetNull);
    }

    public void Configure(EntityTypeBuilder<SurveyResponse> response)
    {
        // Triggers mark the rollups' days (ADR-015); SQLite cannot combine RETURNING with AFTER triggers.
        response.ToTable("SurveyResponses", t => t.UseSqlReturningClause(false));
        response.Property(r => r.Channel).HasConversion<string>().HasMaxLength(10);
        response.Property(r => r.Comment).HasMaxLength(4000);
        response.Property(r => r.ExternalRef).HasMaxLength(200);
        response.HasOne(r => r.Survey).WithMany().HasForeignKey(r => r.SurveyId).OnDelete(DeleteBehavior.Cascade);
        response.HasOne(r => r.Customer).WithMany().HasForeignKey(r => r.CustomerId).OnDelete(DeleteBehavior.SetNull);
        response.HasOne<FeedbackItem>().WithMany().HasForeignKey(r => r.FeedbackId).OnDelete(DeleteBehavior.SetNull);
        response.HasIndex(r => new { r.SurveyId, r.Wave, r.CustomerId }).IsUnique().HasFilter("\"TicketId\" IS NULL");
        response.HasIndex(r => r.TicketId).IsUnique().HasFilter("\"TicketId\" IS NOT NULL");
        response.HasOne<ServiceDesk.Ticket>().WithMany().HasForeignKey(r => r.TicketId).OnDelete(DeleteBehavior.SetNull);
        response.HasIndex(r => new { r.SurveyId, r.ExternalRef }).IsUnique();
        response.HasIndex(r => new { r.RespondedOn, r.SurveyId });
        response.HasIndex(r => new { r.SurveyId, r.RespondedAt });
    }
}

/// <summary>
/// A personal link to answer a survey once, about one thing (a resolved ticket): whoever opens it answers
/// for that customer and that ticket, without signing in.
/// </summary>
public sealed class SurveyInvitation
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid SurveyId { get; set; }
    public Survey? Survey { get; set; }
    public string Token { get; set; } = Survey.NewToken();
    public Guid CustomerId { get; set; }
    public Guid? ContactId { get; set; }
    public Guid? TicketId { get; set; }

    /// <summary>For a wave sent by e-mail: which wave (one invitation per contact per wave).</summary>
    public int? Wave { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
    public int? Score { get; set; }

    public string PublicPath => $"/r/{Token}";
}

internal sealed class SurveyInvitationConfiguration : IEntityTypeConfiguration<SurveyInvitation>
{
    public void Configure(EntityTypeBuilder<SurveyInvitation> invitation)
    {
        invitation.ToTable("SurveyInvitations");
        invitation.Ignore(i => i.PublicPath);
        invitation.Property(i => i.Token).HasMaxLength(64);
        invitation.HasIndex(i => i.Token).IsUnique();
        invitation.HasIndex(i => i.TicketId);
        invitation.HasIndex(i => new { i.SurveyId, i.Wave, i.ContactId }).IsUnique().HasFilter("\"Wave\" IS NOT NULL");
        invitation.HasOne(i => i.Survey).WithMany().HasForeignKey(i => i.SurveyId).OnDelete(DeleteBehavior.Cascade);
        invitation.HasOne<Customer>().WithMany().HasForeignKey(i => i.CustomerId).OnDelete(DeleteBehavior.Cascade);
        invitation.HasOne<ServiceDesk.Ticket>().WithMany().HasForeignKey(i => i.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}
