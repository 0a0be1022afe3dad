using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>How one persona moves through one product, stage by stage, with the touchpoints on the way.</summary>
public sealed class JourneyMap : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public Guid PersonaId { get; set; }
    public Guid? ProductId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
    public Persona? Persona { get; set; }
    public Product? Product { get; set; }
    public List<JourneyStage> Stages { get; set; } = [];
}

public sealed class JourneyStage
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid MapId { get; set; }
    public int Position { get; set; }
    public string Name { get; set; } = "";
    public List<Touchpoint> Touchpoints { get; set; } = [];
}

/// <summary>A moment where the customer meets the product or the company, how it feels, and what hurts.</summary>
public sealed class Touchpoint
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid StageId { get; set; }
    public int Position { get; set; }
    public string Name { get; set; } = "";
    public string Channel { get; set; } = "";

    /// <summary>-2 (very negative) to 2 (very positive).</summary>
    public int Emotion { get; set; }
    public string? PainPoint { get; set; }
    public List<TouchpointFeedback> Feedback { get; set; } = [];
    public List<TouchpointInitiative> Initiatives { get; set; } = [];
}

public sealed class TouchpointFeedback
{
    public Guid TouchpointId { get; set; }
    public Guid FeedbackId { get; set; }
    public FeedbackItem? Feedback { get; set; }
}

public sealed class TouchpointInitiative
{
    public Guid TouchpointId { get; set; }
    public Guid InitiativeId { get; set; }
    public Initiative? Initiative { get; set; }
}

public sealed record JourneyMapSummaryDto(Guid Id, string Name, NamedRef Persona, NamedRef? Product, int Stages, int Touchpoints, int PainPoints);

public sealed record JourneyMapDto(Guid Id, string Name, NamedRef Persona, NamedRef? Product, IReadOnlyList<JourneyStageDto> Stages, Guid Version);

/// <summary>A stage with the volume and average sentiment of the feedback linked to its touchpoints.</summary>
public sealed record JourneyStageDto(Guid Id, int Position, string Name, int FeedbackItems, double? AverageSentiment, double? AverageEmotion,
    IReadOnlyList<TouchpointDto> Touchpoints);

public sealed record TouchpointDto(Guid Id, string Name, string Channel, int Emotion, string? PainPoint, IReadOnlyList<NamedRef> Feedback,
    IReadOnlyList<NamedRef> Initiatives);

public sealed class JourneyMapInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Persona is required: a journey is someone's journey.")]
    public Guid? PersonaId { get; set; }

    public Guid? ProductId { get; set; }

    /// <summary>Stage names in order; the usual seven when left out.</summary>
    public List<string>? Stages { get; set; }
}

public sealed class StageInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "Name must be at most 100 characters.")]
    public string Name { get; set; } = "";
}

public sealed class TouchpointInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [StringLength(50, ErrorMessage = "Channel must be at most 50 characters.")]
    public string Channel { get; set; } = "";

    [Range(-2, 2, ErrorMessage = "Emotion must be from -2 (very negative) to 2 (very positive).")]
    public int Emotion { get; set; }

    [StringLength(1000, ErrorMessage = "Pain point must be at most 1000 characters.")]
    public string? PainPoint { get; set; }
}

public sealed class TouchpointLink
{
    public Guid? FeedbackId { get; set; }
    public Guid? InitiativeId { get; set; }
}

internal sealed class JourneyConfiguration :
    IEntityTypeConfiguration<JourneyMap>, IEntityTypeConfiguration<JourneyStage>, IEntityTypeConfiguration<Touchpoint>,
    IEntityTypeConfiguration<TouchpointFeedback>, IEntityTypeConfiguration<TouchpointInitiative>
{
    public void Configure(EntityTypeBuilder<JourneyMap> map)
    {
        map.ToTable("JourneyMaps");
        map.Property(m => m.Name).HasMaxLength(200);
        map.HasOne(m => m.Persona).WithMany().HasForeignKey(m => m.PersonaId).OnDelete(DeleteBehavior.Cascade);
        map.HasOne(m => m.Product).WithMany().HasForeignKey(m => m.ProductId).OnDelete(DeleteBehavior.SetNull);
        map.HasMany(m => m.Stages).WithOne().HasForeignKey(s => s.MapId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<JourneyStage> stage)
    {
        stage.ToTable("JourneyStages");
        stage.Property(s => s.Name).HasMaxLength(100);
        stage.HasMany(s => s.Touchpoints).WithOne().HasForeignKey(t => t.StageId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<Touchpoint> touchpoint)
    {
        touchpoint.ToTable("Touchpoints");
        touchpoint.Property(t => t.Name).HasMaxLength(200);
        touchpoint.Property(t => t.Channel).HasMaxLength(50);
        touchpoint.Property(t => t.PainPoint).HasMaxLength(1000);
        touchpoint.HasMany(t => t.Feedback).WithOne().HasForeignKey(f => f.TouchpointId).OnDelete(DeleteBehavior.Cascade);
        touchpoint.HasMany(t => t.Initiatives).WithOne().HasForeignKey(i => i.TouchpointId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<TouchpointFeedback> link)
    {
        link.ToTable("TouchpointFeedback");
        link.HasKey(l => new { l.TouchpointId, l.FeedbackId });
        link.HasOne(l => l.Feedback).WithMany().HasForeignKey(l => l.FeedbackId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<TouchpointInitiative> link)
    {
        link.ToTable("TouchpointInitiatives");
        link.HasKey(l => new { l.TouchpointId, l.InitiativeId });
        link.HasOne(l => l.Initiative).WithMany().HasForeignKey(l => l.InitiativeId).OnDelete(DeleteBehavior.Cascade);
    }
}
