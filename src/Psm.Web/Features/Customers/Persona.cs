using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Customers;

/// <summary>A kind of customer PSM's users design for, with an empathy map (says, thinks, does, feels).</summary>
public sealed class Persona : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string Goals { get; set; } = "";
    public string Frustrations { get; set; } = "";
    public string Says { get; set; } = "";
    public string Thinks { get; set; } = "";
    public string Does { get; set; } = "";
    public string Feels { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();

    public PersonaDto ToDto(int customers) =>
        new(Id, Name, Description, Goals, Frustrations, Says, Thinks, Does, Feels, customers, CreatedAt, Version);

    public void Apply(PersonaInput input)
    {
        Name = input.Name.Trim();
        Description = input.Description.Trim();
        Goals = input.Goals.Trim();
        Frustrations = input.Frustrations.Trim();
        Says = input.Says.Trim();
        Thinks = input.Thinks.Trim();
        Does = input.Does.Trim();
        Feels = input.Feels.Trim();
    }
}

public sealed record PersonaDto(
    Guid Id, string Name, string Description, string Goals, string Frustrations, string Says, string Thinks, string Does,
    string Feels, int Customers, DateTimeOffset CreatedAt, Guid Version);

public class PersonaInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(100, ErrorMessage = "Name must be at most 100 characters.")]
    public string Name { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Description must be at most 2000 characters.")]
    public string Description { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Goals must be at most 2000 characters.")]
    public string Goals { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Frustrations must be at most 2000 characters.")]
    public string Frustrations { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Says must be at most 2000 characters.")]
    public string Says { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Thinks must be at most 2000 characters.")]
    public string Thinks { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Does must be at most 2000 characters.")]
    public string Does { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Feels must be at most 2000 characters.")]
    public string Feels { get; set; } = "";

    public static PersonaInput From(PersonaDto p) => new()
    {
        Name = p.Name, Description = p.Description, Goals = p.Goals, Frustrations = p.Frustrations,
        Says = p.Says, Thinks = p.Thinks, Does = p.Does, Feels = p.Feels,
    };
}

public sealed class PersonaUpdate : PersonaInput
{
    [Required(ErrorMessage = "Version is required: send the version you last read.")]
    public Guid? Version { get; set; }
}

internal sealed class PersonaConfiguration : IEntityTypeConfiguration<Persona>
{
    public void Configure(EntityTypeBuilder<Persona> persona)
    {
        persona.ToTable("Personas");
        persona.Property(p => p.Name).HasMaxLength(100);
        persona.HasIndex(p => p.Name).IsUnique();
        foreach (var text in new[] { nameof(Persona.Description), nameof(Persona.Goals), nameof(Persona.Frustrations),
                     nameof(Persona.Says), nameof(Persona.Thinks), nameof(Persona.Does), nameof(Persona.Feels) })
        {
            persona.Property(text).HasMaxLength(2000);
        }
    }
}
