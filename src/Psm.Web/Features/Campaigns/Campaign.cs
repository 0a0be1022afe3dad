using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Account;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Campaigns;

public enum CampaignGoal { Awareness, Acquisition, Expansion, Retention, WinBack }

public enum CampaignChannel { Email, Social, Search, Events, InApp, Partners, Other }

public enum CampaignStatus { Draft, Scheduled, Running, Completed, Cancelled }

/// <summary>
/// A promotion of a product or service: what it aims for, at whom, through which channels, with
/// which message and promises, and the lifecycle stage the product was in when it was planned.
/// </summary>
public sealed class Campaign : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public Guid ProductId { get; set; }
    public Product? Product { get; set; }
    public Guid? ServiceId { get; set; }
    public Service? Service { get; set; }
    public CampaignGoal Goal { get; set; }

    /// <summary>The product's (or service's) stage when the campaign was planned: recorded, so later stage moves do not rewrite history.</summary>
    public LifecycleStage PlannedStage { get; set; }

    /// <summary>The target segment; none means every customer.</summary>
    public Guid? SegmentId { get; set; }

    public Segment? Segment { get; set; }
    public List<CampaignChannel> Channels { get; set; } = [];
    public string Message { get; set; } = "";

    /// <summary>The unique selling proposition the campaign stresses.</summary>
    public string SellingPoint { get; set; } = "";

    public decimal Budget { get; set; }
    public DateOnly StartsOn { get; set; }
    public DateOnly EndsOn { get; set; }
    public Guid? OwnerId { get; set; }
    public PsmUser? Owner { get; set; }
    public CampaignStatus Status { get; set; }
    public int? TargetConversions { get; set; }
    public decimal? TargetRevenue { get; set; }

    /// <summary>The features the campaign promises.</summary>
    public List<Initiative> Promises { get; set; } = [];

    public List<Objective> Objectives { get; set; } = [];
    public List<KeyResult> KeyResults { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>One day's results on one channel. A day and channel is entered once; entering it again replaces it.</summary>
public sealed class CampaignResult
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid CampaignId { get; set; }
    public DateOnly Day { get; set; }
    public CampaignChannel Channel { get; set; }
    public long Impressions { get; set; }

    /// <summary>Clicks, opens, replies: whatever the channel counts as engaging.</summary>
    public long Engagements { get; set; }

    public long Conversions { get; set; }
    public decimal Spend { get; set; }
    public decimal Revenue { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

public class CampaignInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Choose the product the campaign promotes.")]
    public Guid? ProductId { get; set; }

    public Guid? ServiceId { get; set; }

    [Required(ErrorMessage = "Choose the campaign's goal.")]
    public CampaignGoal? Goal { get; set; }

    public Guid? SegmentId { get; set; }

    public List<CampaignChannel> Channels { get; set; } = [];

    [StringLength(4000, ErrorMessage = "The message must be at most 4000 characters.")]
    public string Message { get; set; } = "";

    [StringLength(1000, ErrorMessage = "The selling point must be at most 1000 characters.")]
    public string SellingPoint { get; set; } = "";

    public decimal Budget { get; set; }

    [Required(ErrorMessage = "Give the first day.")]
    public DateOnly? StartsOn { get; set; }

    [Required(ErrorMessage = "Give the last day.")]
    public DateOnly? EndsOn { get; set; }

    public Guid? OwnerId { get; set; }
    public int? TargetConversions { get; set; }
    public decimal? TargetRevenue { get; set; }
    public List<Guid> PromisedInitiativeIds { get; set; } = [];
    public List<Guid> ObjectiveIds { get; set; } = [];
    public List<Guid> KeyResultIds { get; set; } = [];
}

public sealed class CampaignUpdate : CampaignInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public sealed class CampaignStatusInput
{
    [Required(ErrorMessage = "Give the new status.")]
    public CampaignStatus? Status { get; set; }
}

public sealed class CampaignResultInput
{
    [Required(ErrorMessage = "Give the day.")]
    public DateOnly? Day { get; set; }

    [Required(ErrorMessage = "Give the channel.")]
    public CampaignChannel? Channel { get; set; }

    public long Impressions { get; set; }
    public long Engagements { get; set; }
    public long Conversions { get; set; }
    public decimal Spend { get; set; }
    public decimal Revenue { get; set; }
}

public sealed class CampaignReviewInput
{
    [Required(ErrorMessage = "Record what was decided.")]
    [StringLength(4000)]
    public string Outcome { get; set; } = "";

    [Required(ErrorMessage = "Record why: the rationale is what a decision log is for.")]
    [StringLength(4000)]
    public string Rationale { get; set; } = "";

    [Required(ErrorMessage = "Say who decided.")]
    [StringLength(200)]
    public string DecidedBy { get; set; } = "";
}

public sealed record CampaignDto(
    Guid Id, string Name, NamedRef Product, NamedRef? Service, CampaignGoal Goal, LifecycleStage PlannedStage, LifecycleStage CurrentStage,
    NamedRef? Segment, IReadOnlyList<CampaignChannel> Channels, string Message, string SellingPoint, decimal Budget, DateOnly StartsOn,
    DateOnly EndsOn, NamedRef? Owner, CampaignStatus Status, int? TargetConversions, decimal? TargetRevenue, IReadOnlyList<NamedRef> Promises,
    IReadOnlyList<NamedRef> Objectives, IReadOnlyList<NamedRef> KeyResults, DateTimeOffset CreatedAt, Guid Version);

public sealed record CampaignListItem(
    Guid Id, string Name, NamedRef Product, CampaignGoal Goal, LifecycleStage PlannedStage, FitLevel StageFit, CampaignStatus Status,
    DateOnly StartsOn, DateOnly EndsOn, decimal Budget, decimal Spend, long Conversions, NamedRef? Segment, IReadOnlyList<CampaignChannel> Channels,
    NamedRef? Owner);

/// <summary>Who a campaign can reach: customers its segment matches, those with marketing consent, and those left out.</summary>
public sealed record AudienceCount(int Matched, int Audience, int LeftOut, int Contacts);

/// <summary>A campaign with its fit checks, audience, and the consistency warnings on its results (empty when it has none).</summary>
public sealed record CampaignDetail(CampaignDto Campaign, IReadOnlyList<FitCheck> Fit, AudienceCount Audience, IReadOnlyList<ConsistencyWarning> Consistency);

public sealed record CampaignResultDto(
    Guid Id, DateOnly Day, CampaignChannel Channel, long Impressions, long Engagements, long Conversions, decimal Spend, decimal Revenue);

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>, IEntityTypeConfiguration<CampaignResult>
{
    public void Configure(EntityTypeBuilder<Campaign> campaign)
    {
        campaign.ToTable("Campaigns");
        campaign.Property(c => c.Name).HasMaxLength(200);
        campaign.Property(c => c.Goal).HasConversion<string>().HasMaxLength(16);
        campaign.Property(c => c.PlannedStage).HasConversion<string>().HasMaxLength(16);
        campaign.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        campaign.Property(c => c.Message).HasMaxLength(4000);
        campaign.Property(c => c.SellingPoint).HasMaxLength(1000);
        campaign.Property(c => c.Channels).HasConversion(
                list => string.Join(',', list),
                text => text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<CampaignChannel>).ToList(),
                new ValueComparer<List<CampaignChannel>>((a, b) => a!.SequenceEqual(b!), l => l.Aggregate(0, (h, c) => HashCode.Combine(h, c)), l => l.ToList()))
            .HasMaxLength(200);
        campaign.HasOne(c => c.Product).WithMany().HasForeignKey(c => c.ProductId).OnDelete(DeleteBehavior.Restrict);
        campaign.HasOne(c => c.Service).WithMany().HasForeignKey(c => c.ServiceId).OnDelete(DeleteBehavior.SetNull);
        // A segment a campaign targets cannot be deleted from under it (the audience would silently become everyone).
        campaign.HasOne(c => c.Segment).WithMany().HasForeignKey(c => c.SegmentId).OnDelete(DeleteBehavior.Restrict);
        campaign.HasOne(c => c.Owner).WithMany().HasForeignKey(c => c.OwnerId).OnDelete(DeleteBehavior.SetNull);
        campaign.HasMany(c => c.Promises).WithMany().UsingEntity("CampaignPromises");
        campaign.HasMany(c => c.Objectives).WithMany().UsingEntity("CampaignObjectives");
        campaign.HasMany(c => c.KeyResults).WithMany().UsingEntity("CampaignKeyResults");
        campaign.HasIndex(c => new { c.StartsOn, c.Id });
        campaign.HasIndex(c => c.ProductId);
    }

    public void Configure(EntityTypeBuilder<CampaignResult> result)
    {
        result.ToTable("CampaignResults");
        result.Property(r => r.Channel).HasConversion<string>().HasMaxLength(16);
        result.HasOne<Campaign>().WithMany().HasForeignKey(r => r.CampaignId).OnDelete(DeleteBehavior.Cascade);
        result.HasIndex(r => new { r.CampaignId, r.Day, r.Channel }).IsUnique();
        result.HasIndex(r => r.Day);
    }
}
