using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Account;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Catalog;

public sealed class Product : IVersioned, IArchivable, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string UniqueSellingProposition { get; set; } = "";
    public Guid? OwnerId { get; set; }
    public PsmUser? Owner { get; set; }
    public LifecycleStage Stage { get; set; }
    public DateTimeOffset StageChangedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
    public List<Service> Services { get; set; } = [];
}

public enum ServiceKind { Support, Onboarding, Maintenance, Training, Subscription, Consulting, Other }

/// <summary>A service run around a product, with a lifecycle stage of its own.</summary>
public sealed class Service : IVersioned, IArchivable
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid ProductId { get; set; }
    public Product? Product { get; set; }
    public string Name { get; set; } = "";
    public ServiceKind Kind { get; set; }
    public string Description { get; set; } = "";
    public Guid? OwnerId { get; set; }
    public PsmUser? Owner { get; set; }
    public LifecycleStage Stage { get; set; }
    public DateTimeOffset StageChangedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

public sealed record ServiceDto(
    Guid Id, Guid ProductId, string Name, ServiceKind Kind, string Description, NamedRef? Owner,
    LifecycleStage Stage, DateTimeOffset StageChangedAt, DateTimeOffset CreatedAt, DateTimeOffset? ArchivedAt, Guid Version);

public sealed record ProductDto(
    Guid Id, string Name, string Description, string UniqueSellingProposition, NamedRef? Owner,
    LifecycleStage Stage, DateTimeOffset StageChangedAt, int ServiceCount, DateTimeOffset CreatedAt,
    DateTimeOffset? ArchivedAt, Guid Version);

public sealed record ProductDetailDto(ProductDto Product, StageGuidance Guidance, IReadOnlyList<ServiceDto> Services);

public sealed record LifecycleChangeDto(
    Guid Id, CatalogItemKind ItemKind, Guid ItemId, string ItemName, LifecycleStage? From, LifecycleStage To,
    string Reason, DateTimeOffset At, string UserName);

public class ProductInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [StringLength(4000, ErrorMessage = "Description must be at most 4000 characters.")]
    public string Description { get; set; } = "";

    [StringLength(1000, ErrorMessage = "The unique selling proposition must be at most 1000 characters.")]
    public string UniqueSellingProposition { get; set; } = "";

    public Guid? OwnerId { get; set; }

    /// <summary>The stage a new product starts in; later moves go through a lifecycle change.</summary>
    public LifecycleStage Stage { get; set; } = LifecycleStage.Introduction;
}

public sealed class ProductUpdate : ProductInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public class ServiceInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    public ServiceKind Kind { get; set; } = ServiceKind.Support;

    [StringLength(4000, ErrorMessage = "Description must be at most 4000 characters.")]
    public string Description { get; set; } = "";

    public Guid? OwnerId { get; set; }

    public LifecycleStage Stage { get; set; } = LifecycleStage.Introduction;
}

public sealed class ServiceUpdate : ServiceInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

public sealed class StageChange
{
    public LifecycleStage Stage { get; set; }

    [Required(ErrorMessage = "Say why the stage changes: the history keeps it.")]
    [StringLength(1000, ErrorMessage = "Reason must be at most 1000 characters.")]
    public string Reason { get; set; } = "";
}

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> product)
    {
        product.ToTable("Products");
        product.Property(p => p.Name).HasMaxLength(200);
        product.Property(p => p.Description).HasMaxLength(4000);
        product.Property(p => p.UniqueSellingProposition).HasMaxLength(1000);
        product.Property(p => p.Stage).HasConversion<string>().HasMaxLength(16);
        product.HasOne(p => p.Owner).WithMany().HasForeignKey(p => p.OwnerId).OnDelete(DeleteBehavior.SetNull);
        product.HasIndex(p => new { p.Name, p.Id });
        product.HasIndex(p => p.Stage);
    }
}

internal sealed class ServiceConfiguration : IEntityTypeConfiguration<Service>
{
    public void Configure(EntityTypeBuilder<Service> service)
    {
        service.ToTable("Services");
        service.Property(s => s.Name).HasMaxLength(200);
        service.Property(s => s.Description).HasMaxLength(4000);
        service.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        service.Property(s => s.Stage).HasConversion<string>().HasMaxLength(16);
        service.HasOne(s => s.Product).WithMany(p => p.Services).HasForeignKey(s => s.ProductId).OnDelete(DeleteBehavior.Cascade);
        service.HasOne(s => s.Owner).WithMany().HasForeignKey(s => s.OwnerId).OnDelete(DeleteBehavior.SetNull);
        service.HasIndex(s => new { s.ProductId, s.Name });
    }
}
