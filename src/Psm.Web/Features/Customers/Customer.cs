using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>A customer account: a company that buys the products and uses the services.</summary>
public sealed class Customer : IVersioned, IArchivable, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Email { get; set; } = "";
    public string Country { get; set; } = "";
    public string Industry { get; set; } = "";
    public int Employees { get; set; }

    /// <summary>The customer's id in the system it came from; imports use it to recognise a customer again.</summary>
    public string? ExternalRef { get; set; }
    public string Plan { get; set; } = "";
    public string Region { get; set; } = "";
    public DateOnly? SignupDate { get; set; }
    public decimal LifetimeValue { get; set; }
    public Guid? PersonaId { get; set; }
    public DateTimeOffset? ChurnedAt { get; set; }

    /// <summary>Current consent, kept in step with the latest <see cref="ConsentEvent"/> for each purpose.</summary>
    public bool ProfilingConsent { get; set; }
    public bool MarketingConsent { get; set; }
    public bool SurveyConsent { get; set; }
    public List<CustomerContact> Contacts { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public CustomerDto ToDto() => new(
        Id, Name, Email, Country, Industry, Employees, ExternalRef, Plan, Region, SignupDate, LifetimeValue, PersonaId, ChurnedAt,
        ProfilingConsent, MarketingConsent, CreatedAt, ArchivedAt, Version);

    public void Apply(CustomerInput input)
    {
        Name = input.Name.Trim();
        Email = input.Email.Trim();
        Country = input.Country.Trim().ToUpperInvariant();
        Industry = input.Industry.Trim();
        Employees = input.Employees;
        ExternalRef = string.IsNullOrWhiteSpace(input.ExternalRef) ? null : input.ExternalRef.Trim();
        Plan = input.Plan.Trim();
        Region = input.Region.Trim();
        SignupDate = input.SignupDate;
        PersonaId = input.PersonaId;
    }
}

/// <summary>A customer as read. <c>LifetimeValue</c> and <c>ChurnedAt</c> are computed from orders and subscriptions (see <see cref="Commerce.CustomerFigures"/>).</summary>
public sealed record CustomerDto(
    Guid Id, string Name, string Email, string Country, string Industry, int Employees, string? ExternalRef, string Plan,
    string Region, DateOnly? SignupDate, decimal LifetimeValue, Guid? PersonaId, DateTimeOffset? ChurnedAt,
    bool ProfilingConsent, bool MarketingConsent, DateTimeOffset CreatedAt, DateTimeOffset? ArchivedAt, Guid Version);

/// <summary>A contact; <c>BouncedAt</c> is set when mail to the address came back undeliverable (cleared when it is changed).</summary>
public sealed record ContactDto(Guid Id, string Name, string Email, DateTimeOffset? BouncedAt = null, string? BounceReason = null);

public sealed class ContactInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Email is required.")]
    [EmailAddress(ErrorMessage = "Email must be an email address.")]
    [StringLength(256, ErrorMessage = "Email must be at most 256 characters.")]
    public string Email { get; set; } = "";
}

/// <summary>A person at a customer whom PSM may address.</summary>
public sealed class CustomerContact
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid CustomerId { get; set; }
    public string Name { get; set; } = "";
    public string Email { get; set; } = "";

    /// <summary>When mail to <see cref="Email"/> last came back undeliverable (a bounce PSM read); null while it works.</summary>
    public DateTimeOffset? BouncedAt { get; set; }

    public string? BounceReason { get; set; }

    /// <summary>When this contact followed an unsubscribe link in a survey invitation: no more survey mail to them.</summary>
    public DateTimeOffset? SurveysOptedOutAt { get; set; }
}

/// <summary>What a user may set on a customer. Lifetime value and churn are computed: sending them is refused.</summary>
public class CustomerInput : IValidatableObject
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200, ErrorMessage = "Name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "Email is required.")]
    [EmailAddress(ErrorMessage = "Email must be an email address.")]
    [StringLength(256, ErrorMessage = "Email must be at most 256 characters.")]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Country is required.")]
    [RegularExpression("^[A-Za-z]{2}$", ErrorMessage = "Country must be a two-letter ISO code such as DE or US.")]
    public string Country { get; set; } = "";

    [StringLength(100, ErrorMessage = "Industry must be at most 100 characters.")]
    public string Industry { get; set; } = "";

    [Range(1, 10_000_000, ErrorMessage = "Employees must be between 1 and 10,000,000.")]
    public int Employees { get; set; } = 1;

    [StringLength(100, ErrorMessage = "External reference must be at most 100 characters.")]
    public string? ExternalRef { get; set; }

    [StringLength(50, ErrorMessage = "Plan must be at most 50 characters.")]
    public string Plan { get; set; } = "";

    [StringLength(50, ErrorMessage = "Region must be at most 50 characters.")]
    public string Region { get; set; } = "";

    public DateOnly? SignupDate { get; set; }

    public Guid? PersonaId { get; set; }

    /// <summary>Members the input does not have; the computed ones among them are refused by name.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Other { get; set; }

    private static readonly (string Name, string Message)[] Computed =
    [
        ("lifetimeValue", "Lifetime value is computed from the customer's orders and subscriptions; it cannot be set."),
        ("churnedAt", "Churn is computed from the customer's subscriptions (cancel its subscriptions instead); it cannot be set."),
    ];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        Computed.Where(c => Other?.Keys.Any(k => string.Equals(k, c.Name, StringComparison.OrdinalIgnoreCase)) == true)
            .Select(c => new ValidationResult(c.Message, [c.Name]));

    public static CustomerInput From(Customer c) => new()
    {
        Name = c.Name, Email = c.Email, Country = c.Country, Industry = c.Industry, Employees = c.Employees,
        ExternalRef = c.ExternalRef, Plan = c.Plan, Region = c.Region, SignupDate = c.SignupDate, PersonaId = c.PersonaId,
    };
}

/// <summary>An update names the version it was based on; a stale version is a conflict.</summary>
public sealed class CustomerUpdate : CustomerInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

internal sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> customer)
    {
        customer.ToTable("Customers");
        customer.Property(c => c.Name).HasMaxLength(200);
        customer.Property(c => c.Email).HasMaxLength(256);
        customer.Property(c => c.Country).HasMaxLength(2);
        customer.Property(c => c.Industry).HasMaxLength(100);
        customer.HasIndex(c => new { c.Name, c.Id });
        customer.HasIndex(c => new { c.CreatedAt, c.Id });
        customer.Property(c => c.ExternalRef).HasMaxLength(100);
        customer.HasIndex(c => c.ExternalRef).IsUnique();
        customer.Property(c => c.Plan).HasMaxLength(50);
        customer.Property(c => c.Region).HasMaxLength(50);
        customer.Property(c => c.LifetimeValue).HasPrecision(18, 2);
        customer.HasOne<Persona>().WithMany().HasForeignKey(c => c.PersonaId).OnDelete(DeleteBehavior.SetNull);
        customer.HasMany(c => c.Contacts).WithOne().HasForeignKey(k => k.CustomerId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CustomerContactConfiguration : IEntityTypeConfiguration<CustomerContact>
{
    public void Configure(EntityTypeBuilder<CustomerContact> contact)
    {
        contact.ToTable("CustomerContacts");
        contact.Property(c => c.Name).HasMaxLength(200);
        contact.Property(c => c.Email).HasMaxLength(256);
        contact.Property(c => c.BounceReason).HasMaxLength(500);
        contact.HasIndex(c => c.Email);
    }
}
