using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Account;
using Psm.Web.Features.Catalog;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Strategy;

public enum ObjectiveType { Financial, CustomerSatisfaction, OperationalEfficiency, MarketPositioning }

public enum ObjectiveStatus { Draft, Active, Achieved, Missed, Archived }

public enum Confidence { OnTrack, AtRisk, OffTrack }

public sealed class Objective : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();

    /// <summary>The objective's title (named Name so objectives list like every other named record).</summary>
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public ObjectiveType Type { get; set; }
    public ObjectiveStatus Status { get; set; }
    public Guid? OwnerId { get; set; }
    public PsmUser? Owner { get; set; }
    public DateOnly PeriodStart { get; set; }
    public DateOnly? PeriodEnd { get; set; }
    public Guid? ParentId { get; set; }
    public Objective? Parent { get; set; }
    public List<Product> Products { get; set; } = [];
    public List<Service> Services { get; set; } = [];
    public List<KeyResult> KeyResults { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>A measurable result an objective is judged by; its metric is typed in (manual) or derived.</summary>
public sealed class KeyResult : IVersioned
{
    public const string ManualMetric = "manual";

    public Guid Id { get; set; } = NewId.Next();
    public Guid ObjectiveId { get; set; }
    public Objective? Objective { get; set; }
    public string Title { get; set; } = "";
    public string MetricKey { get; set; } = ManualMetric;
    public decimal Baseline { get; set; }
    public decimal Target { get; set; }
    public string Unit { get; set; } = "";
    public BetterDirection Direction { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }
    public string? Segment { get; set; }
    public decimal Weight { get; set; } = 1;
    public List<CheckIn> CheckIns { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public bool IsManual => MetricKey == ManualMetric;
}

public sealed class CheckIn
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid KeyResultId { get; set; }
    public DateOnly Date { get; set; }

    /// <summary>Typed in for a manual metric; for a derived one, the value the registry computed then.</summary>
    public decimal? Value { get; set; }

    public Confidence Confidence { get; set; }
    public string Note { get; set; } = "";
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

public class ObjectiveInput
{
    [Required(ErrorMessage = "Title is required.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    [StringLength(4000, ErrorMessage = "Description must be at most 4000 characters.")]
    public string Description { get; set; } = "";

    public ObjectiveType Type { get; set; }
    public Guid? OwnerId { get; set; }

    [Required(ErrorMessage = "The period needs a start date.")]
    public DateOnly? PeriodStart { get; set; }

    public DateOnly? PeriodEnd { get; set; }
    public Guid? ParentId { get; set; }
    public List<Guid> ProductIds { get; set; } = [];
    public List<Guid> ServiceIds { get; set; } = [];
}

public sealed class ObjectiveUpdate : ObjectiveInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public class KeyResultInput
{
    [Required(ErrorMessage = "Title is required.")]
    [StringLength(200, ErrorMessage = "Title must be at most 200 characters.")]
    public string Title { get; set; } = "";

    [Required(ErrorMessage = "Choose a metric, or 'manual' for values typed in at check-ins.")]
    public string MetricKey { get; set; } = KeyResult.ManualMetric;

    public decimal Baseline { get; set; }
    public decimal Target { get; set; }

    [StringLength(40, ErrorMessage = "Unit must be at most 40 characters.")]
    public string Unit { get; set; } = "";

    public BetterDirection Direction { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    [StringLength(100)]
    public string? Segment { get; set; }

    [Range(0.01, 100, ErrorMessage = "Weight must be between 0.01 and 100.")]
    public decimal Weight { get; set; } = 1;
}

public sealed class KeyResultUpdate : KeyResultInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public sealed class CheckInInput
{
    public DateOnly? Date { get; set; }

    /// <summary>Required for a manual metric; refused for a derived one, whose value is computed.</summary>
    public decimal? Value { get; set; }

    public Confidence Confidence { get; set; }

    [StringLength(2000, ErrorMessage = "Note must be at most 2000 characters.")]
    public string Note { get; set; } = "";
}

public sealed class Activation
{
    /// <summary>Activate even though the SMART check fails; the failures are shown first.</summary>
    public bool ConfirmSmartFailures { get; set; }
}

public sealed record KeyResultDto(
    Guid Id, Guid ObjectiveId, string Title, string MetricKey, string MetricName, decimal Baseline, decimal Target, string Unit,
    BetterDirection Direction, Guid? ProductId, Guid? ServiceId, string? Segment, decimal Weight, double? Current, double Progress,
    Confidence? LatestConfidence, IReadOnlyList<CheckInDto> CheckIns, Guid Version);

public sealed record CheckInDto(Guid Id, DateOnly Date, decimal? Value, Confidence Confidence, string Note, string UserName);

public sealed record ObjectiveSummaryDto(
    Guid Id, string Title, ObjectiveType Type, ObjectiveStatus Status, NamedRef? Owner, DateOnly PeriodStart, DateOnly? PeriodEnd,
    double? Progress, bool AtRisk, int KeyResultCount, DateTimeOffset CreatedAt, Guid Version, Guid? ParentId = null);

/// <summary>An initiative serving an objective, with what it is expected to contribute.</summary>
public sealed record ServingInitiativeDto(Guid Id, string Name, string Status, string Contribution);

/// <summary>
/// An objective with its key results, the objectives that contribute to it (children) and the initiatives serving it.
/// <c>ChildrenProgress</c> is the roll-up: the mean progress of the children that have one (null without any).
/// </summary>
public sealed record ObjectiveDto(
    ObjectiveSummaryDto Summary, string Description, Guid? ParentId, string? ParentTitle, IReadOnlyList<NamedRef> Products,
    IReadOnlyList<NamedRef> Services, IReadOnlyList<KeyResultDto> KeyResults, SmartCheck Smart, double Elapsed,
    IReadOnlyList<ObjectiveSummaryDto> Children, double? ChildrenProgress, IReadOnlyList<ServingInitiativeDto> Initiatives);

internal sealed class ObjectiveConfiguration : IEntityTypeConfiguration<Objective>
{
    public void Configure(EntityTypeBuilder<Objective> objective)
    {
        objective.ToTable("Objectives");
        objective.Property(o => o.Name).HasMaxLength(200);
        objective.Property(o => o.Description).HasMaxLength(4000);
        objective.Property(o => o.Type).HasConversion<string>().HasMaxLength(32);
        objective.Property(o => o.Status).HasConversion<string>().HasMaxLength(16);
        objective.HasOne(o => o.Owner).WithMany().HasForeignKey(o => o.OwnerId).OnDelete(DeleteBehavior.SetNull);
        objective.HasOne(o => o.Parent).WithMany().HasForeignKey(o => o.ParentId).OnDelete(DeleteBehavior.Restrict);
        objective.HasMany(o => o.Products).WithMany().UsingEntity("ObjectiveProducts");
        objective.HasMany(o => o.Services).WithMany().UsingEntity("ObjectiveServices");
        objective.HasIndex(o => new { o.Status, o.PeriodStart });
        objective.HasIndex(o => new { o.CreatedAt, o.Id });
    }
}

internal sealed class KeyResultConfiguration : IEntityTypeConfiguration<KeyResult>
{
    public void Configure(EntityTypeBuilder<KeyResult> keyResult)
    {
        keyResult.ToTable("KeyResults");
        keyResult.Property(k => k.Title).HasMaxLength(200);
        keyResult.Property(k => k.MetricKey).HasMaxLength(100);
        keyResult.Property(k => k.Unit).HasMaxLength(40);
        keyResult.Property(k => k.Segment).HasMaxLength(100);
        keyResult.Property(k => k.Direction).HasConversion<string>().HasMaxLength(8);
        keyResult.Property(k => k.Baseline).HasPrecision(18, 4);
        keyResult.Property(k => k.Target).HasPrecision(18, 4);
        keyResult.Property(k => k.Weight).HasPrecision(9, 4);
        keyResult.HasOne(k => k.Objective).WithMany(o => o.KeyResults).HasForeignKey(k => k.ObjectiveId).OnDelete(DeleteBehavior.Cascade);
        keyResult.Ignore(k => k.IsManual);
    }
}

internal sealed class CheckInConfiguration : IEntityTypeConfiguration<CheckIn>
{
    public void Configure(EntityTypeBuilder<CheckIn> checkIn)
    {
        checkIn.ToTable("CheckIns");
        checkIn.Property(c => c.Value).HasPrecision(18, 4);
        checkIn.Property(c => c.Confidence).HasConversion<string>().HasMaxLength(16);
        checkIn.Property(c => c.Note).HasMaxLength(2000);
        checkIn.Property(c => c.UserName).HasMaxLength(256);
        checkIn.HasOne<KeyResult>().WithMany(k => k.CheckIns).HasForeignKey(c => c.KeyResultId).OnDelete(DeleteBehavior.Cascade);
        checkIn.HasIndex(c => new { c.KeyResultId, c.Date });
    }
}
