using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Catalog;

public enum LifecycleStage { Introduction, Growth, Maturity, Decline, Retired }

/// <summary>What each stage typically calls for; campaigns and prioritisation read it.</summary>
public sealed record StageGuidance(LifecycleStage Stage, string Goal, string CallsFor);

public static class LifecycleStages
{
    public static readonly IReadOnlyList<StageGuidance> All =
    [
        new(LifecycleStage.Introduction, "Educate and make known",
            "Explain the problem it solves, win first reference customers, onboard them closely, learn fast."),
        new(LifecycleStage.Growth, "Win market share",
            "Scale acquisition and onboarding, widen the feature set, keep support quality up as volume grows."),
        new(LifecycleStage.Maturity, "Loyalty and retention",
            "Defend share: retention programmes, upsell and cross-sell, efficiency in service delivery."),
        new(LifecycleStage.Decline, "Harvest, focus on a niche, or plan retirement",
            "Cut cost to serve, keep the profitable niche, and plan migration for the rest."),
        new(LifecycleStage.Retired, "Retired",
            "No new objectives, initiatives or campaigns; existing customers are supported or migrated."),
    ];

    public static StageGuidance Of(LifecycleStage stage) => All[(int)stage];
}

public enum CatalogItemKind { Product, Service }

/// <summary>One move of a product or service between lifecycle stages: who, when, and why.</summary>
public sealed class LifecycleChange
{
    public Guid Id { get; set; } = NewId.Next();
    public CatalogItemKind ItemKind { get; set; }
    public Guid ItemId { get; set; }

    /// <summary>The product the item is or belongs to, so a product's timeline includes its services.</summary>
    public Guid ProductId { get; set; }

    public LifecycleStage? From { get; set; }
    public LifecycleStage To { get; set; }
    public string Reason { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
}

internal sealed class LifecycleChangeConfiguration : IEntityTypeConfiguration<LifecycleChange>
{
    public void Configure(EntityTypeBuilder<LifecycleChange> change)
    {
        change.ToTable("LifecycleChanges");
        change.Property(c => c.ItemKind).HasConversion<string>().HasMaxLength(16);
        change.Property(c => c.From).HasConversion<string>().HasMaxLength(16);
        change.Property(c => c.To).HasConversion<string>().HasMaxLength(16);
        change.Property(c => c.Reason).HasMaxLength(1000);
        change.Property(c => c.UserName).HasMaxLength(256);
        change.HasIndex(c => new { c.ProductId, c.At });
        change.HasIndex(c => new { c.ItemId, c.At });
    }
}
