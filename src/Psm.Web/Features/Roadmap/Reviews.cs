using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Roadmap;

/// <summary>A (quarterly) roadmap review: who was there, what was said and decided, and the roadmap as it stood.</summary>
public sealed class RoadmapReview
{
    public Guid Id { get; set; } = NewId.Next();
    public string Title { get; set; } = "";
    public DateOnly HeldOn { get; set; }
    public string Attendees { get; set; } = "";
    public string Notes { get; set; } = "";
    public string Decisions { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public List<ReviewSnapshotItem> Snapshot { get; set; } = [];
    public List<ActionItem> ActionItems { get; set; } = [];
}

/// <summary>One initiative as it stood when the review was held.</summary>
public sealed class ReviewSnapshotItem
{
    public Guid ReviewId { get; set; }
    public Guid InitiativeId { get; set; }
    public string Title { get; set; } = "";
    public InitiativeStatus Status { get; set; }
    public DateOnly? PlannedStart { get; set; }
    public DateOnly? PlannedEnd { get; set; }
    public decimal? RiceScore { get; set; }
    public Moscow? Moscow { get; set; }
    public decimal? WeightedScore { get; set; }

    /// <summary>Position by RICE among the initiatives not dropped or done (1 is first); null when unscored.</summary>
    public int? Rank { get; set; }

    /// <summary>The objectives it served, comma-separated ids (a snapshot, not a live link).</summary>
    public string ObjectiveIds { get; set; } = "";
}

/// <summary>A retrospective after a release or a review: what went well, what to improve, and what will be done.</summary>
public sealed class Retrospective
{
    public Guid Id { get; set; } = NewId.Next();
    public string Title { get; set; } = "";
    public DateOnly HeldOn { get; set; }
    public Guid? InitiativeId { get; set; }
    public Guid? ReviewId { get; set; }
    public string WentWell { get; set; } = "";
    public string ToImprove { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public Initiative? Initiative { get; set; }
    public RoadmapReview? Review { get; set; }
    public List<ActionItem> ActionItems { get; set; } = [];
}

public enum ActionStatus { Open, Done, Dropped }

/// <summary>Something a review or retrospective decided to do, with who does it by when.</summary>
public sealed class ActionItem : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid? ReviewId { get; set; }
    public Guid? RetrospectiveId { get; set; }
    public string Text { get; set; } = "";
    public string Owner { get; set; } = "";
    public DateOnly? DueOn { get; set; }
    public ActionStatus Status { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

public sealed record ReviewSummaryDto(Guid Id, string Title, DateOnly HeldOn, int Initiatives, int OpenActions);

public sealed record ReviewDto(
    Guid Id, string Title, DateOnly HeldOn, string Attendees, string Notes, string Decisions, string CreatedBy,
    IReadOnlyList<SnapshotRow> Snapshot, IReadOnlyList<ActionItemDto> ActionItems);

public sealed record SnapshotRow(
    Guid InitiativeId, string Title, InitiativeStatus Status, DateOnly? PlannedStart, DateOnly? PlannedEnd, decimal? RiceScore, Moscow? Moscow,
    decimal? WeightedScore, int? Rank, IReadOnlyList<Guid> ObjectiveIds);

public sealed record ActionItemDto(Guid Id, string Text, string Owner, DateOnly? DueOn, ActionStatus Status, bool Overdue, Guid Version);

public sealed record RetrospectiveDto(
    Guid Id, string Title, DateOnly HeldOn, NamedRef? Initiative, NamedRef? Review, string WentWell, string ToImprove, IReadOnlyList<ActionItemDto> ActionItems);

public sealed class ReviewInput
{
    [Required(ErrorMessage = "Title is required, e.g. Q3 2026 roadmap review.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    /// <summary>When it was held; today when left out.</summary>
    public DateOnly? HeldOn { get; set; }

    [StringLength(2000, ErrorMessage = "Attendees must be at most 2000 characters.")]
    public string Attendees { get; set; } = "";

    [StringLength(8000, ErrorMessage = "Notes must be at most 8000 characters.")]
    public string Notes { get; set; } = "";

    [StringLength(8000, ErrorMessage = "Decisions must be at most 8000 characters.")]
    public string Decisions { get; set; } = "";
}

public sealed class RetrospectiveInput
{
    [Required(ErrorMessage = "Title is required.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    public DateOnly? HeldOn { get; set; }
    public Guid? InitiativeId { get; set; }
    public Guid? ReviewId { get; set; }

    [StringLength(8000, ErrorMessage = "What went well must be at most 8000 characters.")]
    public string WentWell { get; set; } = "";

    [StringLength(8000, ErrorMessage = "What to improve must be at most 8000 characters.")]
    public string ToImprove { get; set; } = "";
}

public sealed class ActionItemInput
{
    [Required(ErrorMessage = "Say what is to be done.")]
    [StringLength(1000, ErrorMessage = "The action must be at most 1000 characters.")]
    public string Text { get; set; } = "";

    [Required(ErrorMessage = "Owner is required: someone has to do it.")]
    [StringLength(200, ErrorMessage = "Owner must be at most 200 characters.")]
    public string Owner { get; set; } = "";

    public DateOnly? DueOn { get; set; }

    public ActionStatus Status { get; set; }

    /// <summary>Required when updating: the version you read.</summary>
    public Guid? Version { get; set; }
}

internal sealed class ReviewConfiguration :
    IEntityTypeConfiguration<RoadmapReview>, IEntityTypeConfiguration<ReviewSnapshotItem>, IEntityTypeConfiguration<Retrospective>,
    IEntityTypeConfiguration<ActionItem>
{
    public void Configure(EntityTypeBuilder<RoadmapReview> review)
    {
        review.ToTable("RoadmapReviews");
        review.Property(r => r.Title).HasMaxLength(200);
        review.Property(r => r.Attendees).HasMaxLength(2000);
        review.Property(r => r.Notes).HasMaxLength(8000);
        review.Property(r => r.Decisions).HasMaxLength(8000);
        review.Property(r => r.CreatedBy).HasMaxLength(200);
        review.HasMany(r => r.Snapshot).WithOne().HasForeignKey(s => s.ReviewId).OnDelete(DeleteBehavior.Cascade);
        review.HasMany(r => r.ActionItems).WithOne().HasForeignKey(a => a.ReviewId).OnDelete(DeleteBehavior.Cascade);
        review.HasIndex(r => r.HeldOn);
    }

    public void Configure(EntityTypeBuilder<ReviewSnapshotItem> item)
    {
        item.ToTable("ReviewSnapshotItems");
        item.HasKey(s => new { s.ReviewId, s.InitiativeId });
        item.Property(s => s.Title).HasMaxLength(200);
        item.Property(s => s.Status).HasConversion<string>().HasMaxLength(20);
        item.Property(s => s.Moscow).HasConversion<string>().HasMaxLength(10);
        item.Property(s => s.RiceScore).HasPrecision(18, 2);
        item.Property(s => s.WeightedScore).HasPrecision(6, 1);
        item.Property(s => s.ObjectiveIds).HasMaxLength(4000);
    }

    public void Configure(EntityTypeBuilder<Retrospective> retro)
    {
        retro.ToTable("Retrospectives");
        retro.Property(r => r.Title).HasMaxLength(200);
        retro.Property(r => r.WentWell).HasMaxLength(8000);
        retro.Property(r => r.ToImprove).HasMaxLength(8000);
        retro.HasOne(r => r.Initiative).WithMany().HasForeignKey(r => r.InitiativeId).OnDelete(DeleteBehavior.SetNull);
        retro.HasOne(r => r.Review).WithMany().HasForeignKey(r => r.ReviewId).OnDelete(DeleteBehavior.SetNull);
        retro.HasMany(r => r.ActionItems).WithOne().HasForeignKey(a => a.RetrospectiveId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ActionItem> action)
    {
        action.ToTable("ActionItems");
        action.Property(a => a.Text).HasMaxLength(1000);
        action.Property(a => a.Owner).HasMaxLength(200);
        action.Property(a => a.Status).HasConversion<string>().HasMaxLength(10);
    }
}
