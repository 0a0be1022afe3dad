using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>A named group of customers, defined by rules over their fields and evaluated in the database.</summary>
public sealed class Segment : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public SegmentRules Rules { get; set; } = new();
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>
/// Every rule that is set must hold (AND); within a list any value matches (OR). An empty rule set
/// matches every customer. Membership is further limited to customers who consented to profiling.
/// </summary>
public sealed class SegmentRules
{
    public List<string> Plans { get; set; } = [];
    public List<string> Regions { get; set; } = [];
    public List<string> Industries { get; set; } = [];
    public decimal? MinLifetimeValue { get; set; }
    public decimal? MaxLifetimeValue { get; set; }
    public List<Guid> PersonaIds { get; set; } = [];

    /// <summary>First signup day included.</summary>
    public DateOnly? SignedUpFrom { get; set; }

    /// <summary>Last signup day included.</summary>
    public DateOnly? SignedUpTo { get; set; }

    /// <summary>Narrows a customer query to the rules; the same code runs in SQL and, in tests, over objects.</summary>
    public IQueryable<Customer> Apply(IQueryable<Customer> customers)
    {
        if (Plans.Count > 0)
        {
            var plans = Plans;
            customers = customers.Where(c => plans.Contains(c.Plan));
        }

        if (Regions.Count > 0)
        {
            var regions = Regions;
            customers = customers.Where(c => regions.Contains(c.Region));
        }

        if (Industries.Count > 0)
        {
            var industries = Industries;
            customers = customers.Where(c => industries.Contains(c.Industry));
        }

        if (MinLifetimeValue is { } min)
        {
            customers = customers.Where(c => c.LifetimeValue >= min);
        }

        if (MaxLifetimeValue is { } max)
        {
            customers = customers.Where(c => c.LifetimeValue <= max);
        }

        if (PersonaIds.Count > 0)
        {
            var personas = PersonaIds;
            customers = customers.Where(c => c.PersonaId != null && personas.Contains(c.PersonaId.Value));
        }

        if (SignedUpFrom is { } from)
        {
            customers = customers.Where(c => c.SignupDate >= from);
        }

        if (SignedUpTo is { } to)
        {
            customers = customers.Where(c => c.SignupDate <= to);
        }

        return customers;
    }

    /// <summary>The members: matching, not archived, and consented to profiling.</summary>
    public IQueryable<Customer> Members(IQueryable<Customer> customers) =>
        Apply(customers.Where(c => c.ArchivedAt == null && c.ProfilingConsent));

    public IEnumerable<(string Field, string Message)> Problems()
    {
        if (MinLifetimeValue < 0)
        {
            yield return ("rules.minLifetimeValue", "The lowest lifetime value cannot be negative.");
        }

        if (MinLifetimeValue is { } min && MaxLifetimeValue is { } max && max < min)
        {
            yield return ("rules.maxLifetimeValue", "The highest lifetime value must not be below the lowest.");
        }

        if (SignedUpFrom is { } from && SignedUpTo is { } to && to < from)
        {
            yield return ("rules.signedUpTo", "The signup period must end on or after its first day.");
        }
    }

    public string Describe()
    {
        var parts = new List<string>();
        if (Plans.Count > 0) parts.Add($"plan {string.Join(" or ", Plans)}");
        if (Regions.Count > 0) parts.Add($"region {string.Join(" or ", Regions)}");
        if (Industries.Count > 0) parts.Add($"industry {string.Join(" or ", Industries)}");
        if (MinLifetimeValue is not null || MaxLifetimeValue is not null)
        {
            parts.Add($"lifetime value {MinLifetimeValue?.ToString("N0") ?? "0"}–{MaxLifetimeValue?.ToString("N0") ?? "any"}");
        }

        if (PersonaIds.Count > 0) parts.Add(Infrastructure.Text.Words.Count(PersonaIds.Count, "persona"));
        if (SignedUpFrom is not null || SignedUpTo is not null)
        {
            parts.Add($"signed up {SignedUpFrom?.ToString("yyyy-MM-dd") ?? "any time"} to {SignedUpTo?.ToString("yyyy-MM-dd") ?? "now"}");
        }

        return parts.Count == 0 ? "every customer" : string.Join("; ", parts);
    }
}

public sealed record SegmentDto(
    Guid Id, string Name, string Description, SegmentRules Rules, string RulesText, int Members, int LeftOutWithoutConsent,
    DateTimeOffset CreatedAt, Guid Version);

public class SegmentInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "Name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    [StringLength(1000, ErrorMessage = "Description must be at most 1000 characters.")]
    public string Description { get; set; } = "";

    public SegmentRules Rules { get; set; } = new();
}

public sealed class SegmentUpdate : SegmentInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

internal sealed class SegmentConfiguration : IEntityTypeConfiguration<Segment>
{
    public void Configure(EntityTypeBuilder<Segment> segment)
    {
        segment.ToTable("Segments");
        segment.Property(s => s.Name).HasMaxLength(100);
        segment.HasIndex(s => s.Name).IsUnique();
        segment.Property(s => s.Description).HasMaxLength(1000);
        segment.Property(s => s.Rules).HasConversion(
                r => JsonSerializer.Serialize(r, JsonSerializerOptions.Web),
                s => JsonSerializer.Deserialize<SegmentRules>(s, JsonSerializerOptions.Web) ?? new SegmentRules(),
                new ValueComparer<SegmentRules>(
                    (a, b) => JsonSerializer.Serialize(a, JsonSerializerOptions.Web) == JsonSerializer.Serialize(b, JsonSerializerOptions.Web),
                    r => JsonSerializer.Serialize(r, JsonSerializerOptions.Web).GetHashCode(StringComparison.Ordinal),
                    r => JsonSerializer.Deserialize<SegmentRules>(JsonSerializer.Serialize(r, JsonSerializerOptions.Web), JsonSerializerOptions.Web)!))
            .HasMaxLength(4000);
        segment.HasIndex(s => new { s.CreatedAt, s.Id });
    }
}
