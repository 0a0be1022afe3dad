using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Alignment;

public enum Department { Sales, Marketing, Finance, Legal, Privacy, Support, Engineering, Design, Leadership, Operations, Other }

public enum Stance { Supports, Neutral, Concerned, Opposes }

public enum ConcernStatus { Open, Addressed, AcceptedAsRisk }

public enum ConcernSubject { Initiative, Objective, Decision, Campaign }

/// <summary>Someone whose view must be heard: a department's voice, placed on the power-interest grid.</summary>
public sealed class Stakeholder : IVersioned, IListable
{
    public Guid Id { get; set; } = NewId.Next();
    public string Name { get; set; } = "";
    public Department Department { get; set; }
    public string Role { get; set; } = "";
    public int Influence { get; set; } = 3;
    public int Interest { get; set; } = 3;
    public Guid? UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>A stakeholder's stance on an initiative, objective or decision; disagreement that did not win stays on record.</summary>
public sealed class Concern
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid StakeholderId { get; set; }
    public Stakeholder? Stakeholder { get; set; }
    public ConcernSubject Subject { get; set; }
    public Guid SubjectId { get; set; }
    public Stance Stance { get; set; }
    public string Text { get; set; } = "";
    public ConcernStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string RecordedBy { get; set; } = "";
}

public sealed class Decision
{
    public Guid Id { get; set; } = NewId.Next();
    public string Title { get; set; } = "";
    public string Context { get; set; } = "";
    public string OptionsConsidered { get; set; } = "";
    public string Outcome { get; set; } = "";
    public string Rationale { get; set; } = "";
    public DateOnly DecidedOn { get; set; }
    public string DecidedBy { get; set; } = "";
    public List<Stakeholder> Consulted { get; set; } = [];
    public List<Roadmap.Initiative> Initiatives { get; set; } = [];
    public List<Strategy.Objective> Objectives { get; set; } = [];
    public List<Campaigns.Campaign> Campaigns { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class StakeholderInput
{
    [Required(ErrorMessage = "Name is required.")]
    [StringLength(200)]
    public string Name { get; set; } = "";

    public Department Department { get; set; }

    [StringLength(200)]
    public string Role { get; set; } = "";

    [Range(1, 5, ErrorMessage = "Influence is from 1 (low) to 5 (high).")]
    public int Influence { get; set; } = 3;

    [Range(1, 5, ErrorMessage = "Interest is from 1 (low) to 5 (high).")]
    public int Interest { get; set; } = 3;

    public Guid? UserId { get; set; }
}

public sealed class ConcernInput
{
    public Guid StakeholderId { get; set; }
    public ConcernSubject Subject { get; set; }
    public Guid SubjectId { get; set; }
    public Stance Stance { get; set; }

    [Required(ErrorMessage = "Say what the concern is.")]
    [StringLength(2000)]
    public string Text { get; set; } = "";
}

public sealed class ConcernStatusInput
{
    public ConcernStatus Status { get; set; }
}

public sealed class DecisionInput
{
    [Required(ErrorMessage = "Title is required.")]
    [StringLength(200)]
    public string Title { get; set; } = "";

    [StringLength(4000)]
    public string Context { get; set; } = "";

    [StringLength(4000)]
    public string OptionsConsidered { get; set; } = "";

    [Required(ErrorMessage = "Record what was decided.")]
    [StringLength(4000)]
    public string Outcome { get; set; } = "";

    [Required(ErrorMessage = "Record why: the rationale is what a decision log is for.")]
    [StringLength(4000)]
    public string Rationale { get; set; } = "";

    public DateOnly? DecidedOn { get; set; }

    [Required(ErrorMessage = "Say who decided.")]
    [StringLength(200)]
    public string DecidedBy { get; set; } = "";

    public List<Guid> ConsultedStakeholderIds { get; set; } = [];
    public List<Guid> InitiativeIds { get; set; } = [];
    public List<Guid> ObjectiveIds { get; set; } = [];
    public List<Guid> CampaignIds { get; set; } = [];
}

public sealed record StakeholderDto(Guid Id, string Name, Department Department, string Role, int Influence, int Interest, Guid? UserId, Guid Version);

public sealed record ConcernDto(
    Guid Id, Guid StakeholderId, string StakeholderName, Department Department, ConcernSubject Subject, Guid SubjectId, Stance Stance,
    string Text, ConcernStatus Status, DateTimeOffset CreatedAt, string RecordedBy);

public sealed record DecisionDto(
    Guid Id, string Title, string Context, string OptionsConsidered, string Outcome, string Rationale, DateOnly DecidedOn, string DecidedBy,
    IReadOnlyList<NamedRef> Consulted, IReadOnlyList<NamedRef> Initiatives, IReadOnlyList<NamedRef> Objectives,
    IReadOnlyList<NamedRef> Campaigns, IReadOnlyList<ConcernDto> RemainingConcerns);

internal sealed class AlignmentRecordsConfiguration :
    IEntityTypeConfiguration<Stakeholder>, IEntityTypeConfiguration<Concern>, IEntityTypeConfiguration<Decision>
{
    public void Configure(EntityTypeBuilder<Stakeholder> stakeholder)
    {
        stakeholder.ToTable("Stakeholders");
        stakeholder.Property(s => s.Name).HasMaxLength(200);
        stakeholder.Property(s => s.Role).HasMaxLength(200);
        stakeholder.Property(s => s.Department).HasConversion<string>().HasMaxLength(16);
        stakeholder.HasIndex(s => new { s.Name, s.Id });
    }

    public void Configure(EntityTypeBuilder<Concern> concern)
    {
        concern.ToTable("Concerns");
        concern.Property(c => c.Text).HasMaxLength(2000);
        concern.Property(c => c.RecordedBy).HasMaxLength(256);
        concern.Property(c => c.Subject).HasConversion<string>().HasMaxLength(16);
        concern.Property(c => c.Stance).HasConversion<string>().HasMaxLength(16);
        concern.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        concern.HasOne(c => c.Stakeholder).WithMany().HasForeignKey(c => c.StakeholderId).OnDelete(DeleteBehavior.Cascade);
        concern.HasIndex(c => new { c.Subject, c.SubjectId });
    }

    public void Configure(EntityTypeBuilder<Decision> decision)
    {
        decision.ToTable("Decisions");
        decision.Property(d => d.Title).HasMaxLength(200);
        decision.Property(d => d.Context).HasMaxLength(4000);
        decision.Property(d => d.OptionsConsidered).HasMaxLength(4000);
        decision.Property(d => d.Outcome).HasMaxLength(4000);
        decision.Property(d => d.Rationale).HasMaxLength(4000);
        decision.Property(d => d.DecidedBy).HasMaxLength(200);
        decision.HasMany(d => d.Consulted).WithMany().UsingEntity("DecisionConsulted");
        decision.HasMany(d => d.Initiatives).WithMany().UsingEntity("DecisionInitiatives");
        decision.HasMany(d => d.Objectives).WithMany().UsingEntity("DecisionObjectives");
        decision.HasMany(d => d.Campaigns).WithMany().UsingEntity("DecisionCampaigns");
        decision.HasIndex(d => d.DecidedOn);
    }
}
