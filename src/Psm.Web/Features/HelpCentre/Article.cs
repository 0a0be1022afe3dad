using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.HelpCentre;

/// <summary>Draft: only staff see it. Published: the public help centre shows it. Archived: kept, shown to nobody outside.</summary>
public enum ArticleStatus { Draft, Published, Archived }

/// <summary>
/// A help-centre article about a product or service, written in Markdown. Every saved change is kept as a
/// numbered revision (<see cref="ArticleRevision"/>); its address (<see cref="Slug"/>) is fixed when it is
/// created, so links sent to customers keep working when the title changes.
/// </summary>
public sealed class Article : IVersioned
{
    public Guid Id { get; set; } = NewId.Next();
    public string Title { get; set; } = "";
    public string Slug { get; set; } = "";

    /// <summary>Markdown; rendered and sanitised wherever it is shown.</summary>
    public string Body { get; set; } = "";

    /// <summary>Lower-case, comma-separated.</summary>
    public string Tags { get; set; } = "";

    public ArticleStatus Status { get; set; }
    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    /// <summary>Who wrote the current revision.</summary>
    public string Author { get; set; } = "";

    public int Revision { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>When someone last confirmed it is still right (saving a revision or "Mark reviewed").</summary>
    public DateTimeOffset ReviewedAt { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>One saved revision of an article, as it was.</summary>
[NotAudited]
public sealed class ArticleRevision
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid ArticleId { get; set; }
    public int Number { get; set; }
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
    public string Tags { get; set; } = "";
    public string Author { get; set; } = "";
    public DateTimeOffset At { get; set; }
}

/// <summary>A reader's "was this helpful?"; a comment also lands in the feedback inbox (<see cref="FeedbackId"/>).</summary>
[NotAudited]
public sealed class ArticleVote
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid ArticleId { get; set; }
    public bool Helpful { get; set; }
    public string? Comment { get; set; }
    public Guid? FeedbackId { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>How many times the public help centre showed an article on one day (UTC).</summary>
[NotAudited]
public sealed class ArticleViews
{
    public Guid ArticleId { get; set; }
    public DateOnly Day { get; set; }
    public int Views { get; set; }
}

/// <summary>How the public help centre presents the company: its name, accent colour and a line of welcome. One row.</summary>
public sealed class HelpCentreSettings : IVersioned
{
    public static readonly Guid TheOne = new("5a1f0000-0000-7000-8000-00000000c0de");

    public Guid Id { get; set; } = TheOne;
    public string CompanyName { get; set; } = "";
    public string AccentColour { get; set; } = "#1f6feb";
    public string Welcome { get; set; } = "";

    /// <summary>The company's logo (PNG, JPEG or WebP, at most <see cref="HelpCentre.MaxLogoBytes"/>), shown on every public page.</summary>
    [NotAudited]
    public byte[]? Logo { get; set; }

    /// <summary>The logo's media type, from its first bytes; null without a logo.</summary>
    public string? LogoType { get; set; }

    /// <summary>The logo's SHA-256, hex: what the audit log records of a new logo, and the public address's cache key.</summary>
    public string? LogoHash { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();
}

public sealed class ArticleInput
{
    [Required(ErrorMessage = "The title is required.")]
    [StringLength(200, MinimumLength = 3, ErrorMessage = "The title must be 3 to 200 characters.")]
    public string Title { get; set; } = "";

    [Required(ErrorMessage = "The body is required.")]
    [StringLength(100_000, MinimumLength = 10, ErrorMessage = "The body must be 10 to 100 000 characters.")]
    public string Body { get; set; } = "";

    [MaxLength(20, ErrorMessage = "At most 20 tags.")]
    public List<string>? Tags { get; set; }

    public Guid? ProductId { get; set; }
    public Guid? ServiceId { get; set; }

    /// <summary>Required on a change: the version you read.</summary>
    public Guid? Version { get; set; }
}

public sealed class HelpCentreSettingsInput
{
    [Required(ErrorMessage = "The company name is required.")]
    [StringLength(100, ErrorMessage = "The company name must be at most 100 characters.")]
    public string CompanyName { get; set; } = "";

    [Required(ErrorMessage = "The accent colour is required.")]
    [RegularExpression("^#[0-9a-fA-F]{6}$", ErrorMessage = "The accent colour must be a hex colour such as #1f6feb.")]
    public string AccentColour { get; set; } = "#1f6feb";

    [StringLength(300, ErrorMessage = "The welcome line must be at most 300 characters.")]
    public string? Welcome { get; set; }

    public Guid? Version { get; set; }
}

public sealed class ArticleVoteInput
{
    [Required(ErrorMessage = "Say whether it helped.")]
    public bool? Helpful { get; set; }

    [StringLength(2000, ErrorMessage = "The comment must be at most 2000 characters.")]
    public string? Comment { get; set; }
}

public sealed record ArticleSummary(
    Guid Id, string Title, string Slug, ArticleStatus Status, IReadOnlyList<string> Tags, Guid? ProductId, string? Product, Guid? ServiceId, string? Service,
    string Author, int Revision, DateTimeOffset UpdatedAt, DateTimeOffset ReviewedAt, int Views, int Helpful, int NotHelpful);

/// <summary>An article for staff: its Markdown, the sanitised HTML, its figures and what readers said.</summary>
public sealed record ArticleDto(
    Guid Id, string Title, string Slug, ArticleStatus Status, string Body, string Html, IReadOnlyList<string> Tags, Guid? ProductId, string? Product,
    Guid? ServiceId, string? Service, string Author, int Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? PublishedAt,
    DateTimeOffset ReviewedAt, int Views, int Helpful, int NotHelpful, IReadOnlyList<ArticleCommentDto> Comments, string PublicPath, Guid Version);

public sealed record ArticleCommentDto(bool Helpful, string Comment, Guid? FeedbackId, DateTimeOffset At);

public sealed record ArticleRevisionDto(int Number, string Title, string Body, IReadOnlyList<string> Tags, string Author, DateTimeOffset At);

/// <summary>A published article as the public sees it (no author, no figures).</summary>
public sealed record PublicArticleDto(string Title, string Slug, string Html, IReadOnlyList<string> Tags, string? Product, DateTimeOffset UpdatedAt);

public sealed record PublicArticleHit(string Title, string Slug, string? Product, string Excerpt);

/// <summary>The public pages' presentation; <c>LogoPath</c> is the logo's public address, null without one.</summary>
public sealed record HelpCentreSettingsDto(string CompanyName, string AccentColour, string Welcome, Guid Version, string? LogoPath = null);

/// <summary>A product with its published articles, for browsing.</summary>
public sealed record HelpCentreShelf(Guid? ProductId, string Product, IReadOnlyList<PublicArticleHit> Articles);

internal sealed class ArticleConfiguration : IEntityTypeConfiguration<Article>
{
    public void Configure(EntityTypeBuilder<Article> article)
    {
        article.ToTable("Articles");
        article.Property(a => a.Title).HasMaxLength(200);
        article.Property(a => a.Slug).HasMaxLength(120);
        article.HasIndex(a => a.Slug).IsUnique();
        article.Property(a => a.Body).HasMaxLength(100_000);
        article.Property(a => a.Tags).HasMaxLength(1000);
        article.Property(a => a.Author).HasMaxLength(200);
        article.Property(a => a.Status).HasConversion<string>().HasMaxLength(20);
        article.HasIndex(a => new { a.Status, a.UpdatedAt });
        article.HasOne<Catalog.Product>().WithMany().HasForeignKey(a => a.ProductId).OnDelete(DeleteBehavior.SetNull);
        article.HasOne<Catalog.Service>().WithMany().HasForeignKey(a => a.ServiceId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ArticleRevisionConfiguration : IEntityTypeConfiguration<ArticleRevision>
{
    public void Configure(EntityTypeBuilder<ArticleRevision> revision)
    {
        revision.ToTable("ArticleRevisions");
        revision.Property(r => r.Title).HasMaxLength(200);
        revision.Property(r => r.Body).HasMaxLength(100_000);
        revision.Property(r => r.Tags).HasMaxLength(1000);
        revision.Property(r => r.Author).HasMaxLength(200);
        revision.HasIndex(r => new { r.ArticleId, r.Number }).IsUnique();
        revision.HasOne<Article>().WithMany().HasForeignKey(r => r.ArticleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ArticleVoteConfiguration : IEntityTypeConfiguration<ArticleVote>
{
    public void Configure(EntityTypeBuilder<ArticleVote> vote)
    {
        vote.ToTable("ArticleVotes");
        vote.Property(v => v.Comment).HasMaxLength(2000);
        vote.HasIndex(v => new { v.ArticleId, v.At });
        vote.HasIndex(v => v.At);
        vote.HasOne<Article>().WithMany().HasForeignKey(v => v.ArticleId).OnDelete(DeleteBehavior.Cascade);
        vote.HasOne<Feedback.FeedbackItem>().WithMany().HasForeignKey(v => v.FeedbackId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ArticleViewsConfiguration : IEntityTypeConfiguration<ArticleViews>
{
    public void Configure(EntityTypeBuilder<ArticleViews> views)
    {
        views.ToTable("ArticleViews");
        views.HasKey(v => new { v.ArticleId, v.Day });
        views.HasIndex(v => v.Day);
        views.HasOne<Article>().WithMany().HasForeignKey(v => v.ArticleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class HelpCentreSettingsConfiguration : IEntityTypeConfiguration<HelpCentreSettings>
{
    public void Configure(EntityTypeBuilder<HelpCentreSettings> settings)
    {
        settings.ToTable("HelpCentreSettings");
        settings.Property(s => s.CompanyName).HasMaxLength(100);
        settings.Property(s => s.AccentColour).HasMaxLength(7);
        settings.Property(s => s.Welcome).HasMaxLength(300);
        settings.Property(s => s.LogoType).HasMaxLength(20);
        settings.Property(s => s.LogoHash).HasMaxLength(64);
    }
}
