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
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public CustomerDto ToDto() => new(Id, Name, Email, Country, Industry, Employees, CreatedAt, ArchivedAt, Version);

    public void Apply(CustomerInput input)
    {
        Name = input.Name.Trim();
        Email = input.Email.Trim();
        Country = input.Country.Trim().ToUpperInvariant();
        Industry = input.Industry.Trim();
        Employees = input.Employees;
    }
}

public sealed record CustomerDto(
    Guid Id, string Name, string Email, string Country, string Industry, int Employees,
    DateTimeOffset CreatedAt, DateTimeOffset? ArchivedAt, Guid Version);

/// <summary>What a user may set on a customer.</summary>
public class CustomerInput
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

    public static CustomerInput From(Customer c) => new()
    {
        Name = c.Name, Email = c.Email, Country = c.Country, Industry = c.Industry, Employees = c.Employees,
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
    }
}
