using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

public enum FeedbackChannel { SurveyComment, Interview, InApp, SupportTicket, ProductReview, SocialMedia, SalesCall, Email, HelpCentre }

public enum FeedbackStatus { New, Triaged, LinkedToInitiative, Closed }

public enum SentimentLabel { Negative, Neutral, Positive }

public enum EvidenceImportance { NiceToHave, Important, Critical }

/// <summary>One thing a customer told us, from any channel.</summary>
public sealed class FeedbackItem : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Text { get; set; } = "";
    public FeedbackChannel Channel { get; set; }
    public Guid? CustomerId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    /// <summary>A rating the channel carried (a review's stars, a survey score), when there was one.</summary>
    public int? Rating { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The UTC day of <see cref="ReceivedAt"/>: analysis groups by it on every database.</summary>
    public DateOnly ReceivedOn { get; set; }

    /// <summary>The item's id where it came from; with the channel it makes re-ingestion idempotent.</summary>
    public string? SourceRef { get; set; }
    public FeedbackStatus Status { get; set; }
    public double Sentiment { get; set; }
    public SentimentLabel SentimentLabel { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public Customer? Customer { get; set; }
    public List<FeedbackTheme> Themes { get; set; } = [];
    public List<Evidence> Evidence { get; set; } = [];

    /// <summary>A new item as it arrives from any path: scored for sentiment and tagged with every theme it matches.</summary>
    public static FeedbackItem Arrived(string text, FeedbackChannel channel, DateTimeOffset receivedAt, ThemeMatcher matcher, DateTimeOffset now, Guid? id = null)
    {
        var sentiment = Feedback.Sentiment.Score(text);
        var item = new FeedbackItem
        {
            Id = id ?? NewId.Next(), Text = text, Channel = channel, ReceivedAt = receivedAt, ReceivedOn = DateOnly.FromDateTime(receivedAt.UtcDateTime),
            Status = FeedbackStatus.New, Sentiment = sentiment.Score, SentimentLabel = sentiment.Label, CreatedAt = now,
        };
        item.Themes = matcher.Match(text).Select(t => new FeedbackTheme { FeedbackId = item.Id, ThemeId = t }).ToList();
        return item;
    }

    /// <summary>A survey answer's comment as feedback on the survey's product or service; the answer points at it.</summary>
    public static FeedbackItem FromSurveyComment(SurveyResponse response, Survey survey, ThemeMatcher matcher, DateTimeOffset now)
    {
        var item = Arrived(response.Comment!, FeedbackChannel.SurveyComment, response.RespondedAt, matcher, now);
        item.CustomerId = response.CustomerId;
        item.ProductId = survey.ProductId;
        item.ServiceId = survey.ServiceId;
        item.Rating = response.Score;
        item.SourceRef = $"survey-response:{response.Id}";
        response.FeedbackId = item.Id;
        return item;
    }
}

/// <summary>A recurring subject in feedback, with the keywords and phrases that recognise it.</summary>
public sealed class Theme : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";

    /// <summary>Keywords and phrases, one per line; a trailing * matches any ending (invoic* matches invoices).</summary>
    public string Keywords { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>A theme on a feedback item, put there by the matcher or by a person.</summary>
[AuditedWithParent(nameof(ThemeId))]
public sealed class FeedbackTheme
{
    public Guid FeedbackId { get; set; }
    public Guid ThemeId { get; set; }
    public bool ByHand { get; set; }
    public Theme? Theme { get; set; }
}

/// <summary>A feedback item backing an initiative: the customer evidence behind the roadmap.</summary>
public sealed class Evidence
{
    public Guid FeedbackId { get; set; }
    public Guid InitiativeId { get; set; }
    public EvidenceImportance Importance { get; set; }
    public DateTimeOffset LinkedAt { get; set; }
    public string LinkedBy { get; set; } = "";
    public FeedbackItem? Feedback { get; set; }
    public Initiative? Initiative { get; set; }
}

public sealed record FeedbackDto(
    Guid Id, string Text, FeedbackChannel Channel, NamedRef? Customer, Guid? ProductId, Guid? ServiceId, int? Rating,
    DateTimeOffset ReceivedAt, string? SourceRef, FeedbackStatus Status, double Sentiment, SentimentLabel SentimentLabel,
    IReadOnlyList<ThemeTagDto> Themes, IReadOnlyList<EvidenceLinkDto> Initiatives, Guid Version);

public sealed record ThemeTagDto(Guid Id, string Name, bool ByHand);

public sealed record EvidenceLinkDto(Guid InitiativeId, string Initiative, EvidenceImportance Importance);

public sealed record ThemeDto(Guid Id, string Name, string Description, IReadOnlyList<string> Keywords, int Items, Guid Version);

public class FeedbackInput
{
    [Required(ErrorMessage = "Text is required: what did the customer say?")]
    [StringLength(4000, ErrorMessage = "Text must be at most 4000 characters.")]
    public string Text { get; set; } = "";

    [Required(ErrorMessage = "Channel is required.")]
    public FeedbackChannel? Channel { get; set; }

    public Guid? CustomerId { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    [Range(0, 10, ErrorMessage = "Rating must be between 0 and 10.")]
    public int? Rating { get; set; }

    /// <summary>When the customer said it; now when left out.</summary>
    public DateTimeOffset? ReceivedAt { get; set; }

    [StringLength(200, ErrorMessage = "Source reference must be at most 200 characters.")]
    public string? SourceRef { get; set; }
}

public sealed class ThemeInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "Name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    [StringLength(1000, ErrorMessage = "Description must be at most 1000 characters.")]
    public string Description { get; set; } = "";

    /// <summary>Keywords and phrases; a trailing * matches any ending.</summary>
    public List<string> Keywords { get; set; } = [];

    public Guid? Version { get; set; }
}

public sealed class EvidenceInput
{
    [Required(ErrorMessage = "Initiative is required.")]
    public Guid? InitiativeId { get; set; }

    public EvidenceImportance Importance { get; set; } = EvidenceImportance.Important;
}

public enum TriageAction { Tag, Untag, Link, Triage, Close, Reopen }

/// <summary>One action applied to many items at once (the inbox's bulk bar, and the API).</summary>
public sealed class TriageRequest
{
    [Required(ErrorMessage = "Say which items: feedbackIds is required.")]
    [MinLength(1, ErrorMessage = "Name at least one feedback item.")]
    [MaxLength(1000, ErrorMessage = "At most 1000 items at a time.")]
    public List<Guid> FeedbackIds { get; set; } = [];

    [Required(ErrorMessage = "Action is required: Tag, Untag, Link, Triage, Close or Reopen.")]
    public TriageAction? Action { get; set; }

    public Guid? ThemeId { get; set; }
    public Guid? InitiativeId { get; set; }
    public EvidenceImportance Importance { get; set; } = EvidenceImportance.Important;
}

internal sealed class FeedbackConfiguration :
    IEntityTypeConfiguration<FeedbackItem>, IEntityTypeConfiguration<Theme>, IEntityTypeConfiguration<FeedbackTheme>,
    IEntityTypeConfiguration<Evidence>
{
    public void Configure(EntityTypeBuilder<FeedbackItem> item)
    {
        item.ToTable("Feedback");
        item.Property(f => f.Text).HasMaxLength(4000);
        item.Property(f => f.Channel).HasConversion<string>().HasMaxLength(20);
        item.Property(f => f.Status).HasConversion<string>().HasMaxLength(20);
        item.Property(f => f.SentimentLabel).HasConversion<string>().HasMaxLength(10);
        item.Property(f => f.SourceRef).HasMaxLength(200);
        item.HasOne(f => f.Customer).WithMany().HasForeignKey(f => f.CustomerId).OnDelete(DeleteBehavior.SetNull);
        item.HasOne<Product>().WithMany().HasForeignKey(f => f.ProductId).OnDelete(DeleteBehavior.SetNull);
        item.HasOne<Service>().WithMany().HasForeignKey(f => f.ServiceId).OnDelete(DeleteBehavior.SetNull);
        item.HasIndex(f => new { f.Channel, f.SourceRef }).IsUnique();
        item.HasIndex(f => new { f.ReceivedAt, f.Id });
        item.HasIndex(f => new { f.Status, f.ReceivedAt });
        item.HasIndex(f => f.ReceivedOn);
        item.HasMany(f => f.Themes).WithOne().HasForeignKey(t => t.FeedbackId).OnDelete(DeleteBehavior.Cascade);
        item.HasMany(f => f.Evidence).WithOne(e => e.Feedback).HasForeignKey(e => e.FeedbackId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<Theme> theme)
    {
        theme.ToTable("Themes");
        theme.Property(t => t.Name).HasMaxLength(100);
        theme.HasIndex(t => t.Name).IsUnique();
        theme.Property(t => t.Description).HasMaxLength(1000);
        theme.Property(t => t.Keywords).HasMaxLength(4000);
    }

    public void Configure(EntityTypeBuilder<FeedbackTheme> tag)
    {
        tag.ToTable("FeedbackThemes");
        tag.HasKey(t => new { t.FeedbackId, t.ThemeId });
        tag.HasOne(t => t.Theme).WithMany().HasForeignKey(t => t.ThemeId).OnDelete(DeleteBehavior.Cascade);
        tag.HasIndex(t => t.ThemeId);
    }

    public void Configure(EntityTypeBuilder<Evidence> evidence)
    {
        evidence.ToTable("Evidence");
        evidence.HasKey(e => new { e.FeedbackId, e.InitiativeId });
        evidence.Property(e => e.Importance).HasConversion<string>().HasMaxLength(20);
        evidence.Property(e => e.LinkedBy).HasMaxLength(200);
        evidence.HasOne(e => e.Initiative).WithMany().HasForeignKey(e => e.InitiativeId).OnDelete(DeleteBehavior.Cascade);
        evidence.HasIndex(e => e.InitiativeId);
    }
}
