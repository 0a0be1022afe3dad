using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>What a customer may or may not have agreed to.</summary>
public enum ConsentPurpose
{
    /// <summary>Profiling and analysis that singles the customer out (segments, per-segment figures).</summary>
    Profiling,

    /// <summary>Being contacted by marketing (campaign audiences).</summary>
    Marketing,

    /// <summary>Being sent survey invitations by e-mail (NPS, CSAT and CES waves). A contact's unsubscribe link stops that contact on its own.</summary>
    Surveys,
}

/// <summary>
/// One grant or withdrawal, kept for good: the history is the record of consent. The customer row
/// carries the current state so that every query can filter on it cheaply.
/// </summary>
public sealed class ConsentEvent
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid CustomerId { get; set; }
    public ConsentPurpose Purpose { get; set; }
    public bool Granted { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Where it came from: a signup form, a call, an import, a support request.</summary>
    public string Source { get; set; } = "";
    public string RecordedBy { get; set; } = "";
}

public sealed record ConsentEventDto(Guid Id, ConsentPurpose Purpose, bool Granted, DateTimeOffset At, string Source, string RecordedBy);

public sealed record ConsentStateDto(bool Profiling, bool Marketing, IReadOnlyList<ConsentEventDto> History, bool Surveys = false);

public sealed class ConsentInput
{
    [Required(ErrorMessage = "Purpose is required: Profiling, Marketing or Surveys.")]
    public ConsentPurpose? Purpose { get; set; }

    [Required(ErrorMessage = "Say whether consent is granted (true) or withdrawn (false).")]
    public bool? Granted { get; set; }

    [Required(ErrorMessage = "Source is required: where the consent or withdrawal came from.")]
    [StringLength(200, ErrorMessage = "Source must be at most 200 characters.")]
    public string Source { get; set; } = "";
}

internal sealed class ConsentEventConfiguration : IEntityTypeConfiguration<ConsentEvent>
{
    public void Configure(EntityTypeBuilder<ConsentEvent> consent)
    {
        consent.ToTable("ConsentEvents");
        consent.Property(c => c.Purpose).HasConversion<string>().HasMaxLength(20);
        consent.Property(c => c.Source).HasMaxLength(200);
        consent.Property(c => c.RecordedBy).HasMaxLength(200);
        consent.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Cascade);
        consent.HasIndex(c => new { c.CustomerId, c.At });
    }
}
